// Where a study's work runs when not all in this process (`judgekit run --queue`): hooks the built-in stages ask
// before they load a model, fine-tune or run a judge here. A hook may decline (resolve to undefined) a model or judge
// it cannot send (another backend, a setting its path lacks): that one runs in this process as always. Either way
// the stages write the run directory themselves, so results, resume logs and run.json are the in-process ones.
import type { BackendOptions, GenerativeModel, ModelSpec } from '../contracts/model-backend.js';
import type { FinetuneOutcome, FinetuneRequest } from '../contracts/finetuning-backend.js';
import type { TestLossResult } from '../protocol/loss/test-loss.js';
import type { JudgeRunOptions, JudgeRunSummary } from '../protocol/judging/judge-runner.js';
import type { StudyJudge } from './judge-assembly.js';
import type { StudyModel } from './study.js';

/** The loss stage's request: the held-out data by path and the protocol settings as configured (defaults unresolved). */
export interface StudyLossRequest {
  dataPath: string;
  settings: { contextLength?: number; batchSize?: number; stride?: number; startToken?: number; batches?: number };
}

export interface StudyRemoteWork {
  /** For logs: `the queue at redis://host:6379`. */
  readonly description: string;
  /** Test loss of `model`'s checkpoint, the batches scored elsewhere and added up in the in-process order. */
  loss?(model: StudyModel, request: StudyLossRequest): Promise<TestLossResult | undefined>;
  /** The backend's fine-tune of `request`, made elsewhere into the same run directory. */
  finetune?(model: StudyModel, request: FinetuneRequest): Promise<FinetuneOutcome | undefined>;
  /** A generative model whose chunks are generated elsewhere; `status` feeds the progress line. */
  generativeModel?(model: StudyModel, weights: ModelSpec, options: BackendOptions): Promise<(GenerativeModel & { status(): string }) | undefined>;
  /** The judge stage's run with its items judged elsewhere (the runner here writes the judgments). */
  judge?(judge: StudyJudge, options: JudgeRunOptions): Promise<JudgeRunSummary | undefined>;
}
