// What every plugin contribution has: an id that configs and scripts select it by, a one-line description, and
// a JSON Schema for its own options. The kinds of contribution and the token each is multi-bound to.
import { ChatModelProviderFactory } from './chat-model-provider.js';
import { InstructionDataset } from './instruction-dataset.js';
import { JudgeFactory } from './judge-factory.js';
import { Metric } from './metric.js';
import { ModelBackend } from './model-backend.js';
import { Reporter } from './reporter.js';
import { StudyStage } from './study-stage.js';

/** A JSON Schema (draft-07) object. */
export type JsonSchema = Record<string, unknown>;

export interface Contribution {
  /** What a config or script selects it by, e.g. `batched`, `onnxruntime`, `alpaca`, `html`. */
  readonly id: string;
  /** One line, shown by `judgekit plugins`. */
  readonly description?: string;
  /** JSON Schema of the `options` object the config may pass it; none means it takes no options. */
  readonly optionsSchema?: JsonSchema;
}

/** Every contribution point: its config-facing kind name, token, and a plural for messages. */
export const CONTRIBUTION_POINTS = Object.freeze({
  backend: { token: ModelBackend, plural: 'backends' },
  dataset: { token: InstructionDataset, plural: 'datasets' },
  metric: { token: Metric, plural: 'metrics' },
  judge: { token: JudgeFactory, plural: 'judges' },
  'chat-provider': { token: ChatModelProviderFactory, plural: 'chat-model providers' },
  stage: { token: StudyStage, plural: 'stages' },
  reporter: { token: Reporter, plural: 'reporters' },
} as const);

export type ContributionKind = keyof typeof CONTRIBUTION_POINTS;

export const CONTRIBUTION_KINDS = Object.freeze(Object.keys(CONTRIBUTION_POINTS) as ContributionKind[]);
