// Contribution point for the study's stages (dataset, loss, finetune, generate, judge, results, report). A plugin
// that binds a StudyStage with a built-in's id replaces it; one with a new id adds a stage at its `order`.
import type { Stage } from '../pipeline/pipeline.js';
import type { Contribution } from './contribution.js';
import type { Study } from '../study/study.js';

export const StudyStage = Symbol.for('@judgekit/core/StudyStage');
export interface StudyStage extends Contribution {
  /** Position in the study; the built-ins use 100 dataset, 200 loss, 300 finetune, 400 generate, 500 judge, 600 results, 700 report. */
  readonly order: number;
  /** The pipeline stages this contribution adds to a study: none when the study does not need it. */
  plan(study: Study): Stage[];
}
