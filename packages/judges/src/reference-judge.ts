// The reference judge: no model call, ROUGE-L F1 against the reference output. A free, deterministic baseline.
import { rougeLScore, type JudgeItemInput, type JudgeItemResult, type PlannableJudge } from '@judgekit/core';
import type { JudgeFactory } from './judge-factory.js';

export class ReferenceJudge implements PlannableJudge {
  readonly mode = 'reference' as const;
  readonly description = { mode: 'reference' as const, provider: 'none', model: 'rouge-l-f1' };

  plannedRequests(): [] {
    return [];
  }

  async scoreItem(input: JudgeItemInput): Promise<JudgeItemResult> {
    return {
      index: input.index,
      repeat: input.repeat,
      scores: input.answers.map((answer) => ({ model: answer.model, score: rougeLScore(answer.response, input.record.output) })),
      calls: 0,
      cachedCalls: 0,
      tokenUsage: { prompt: 0, completion: 0 },
      attempts: 0,
    };
  }
}

export const referenceJudgeFactory: JudgeFactory = {
  id: 'reference',
  mode: 'reference',
  description: 'Offline and free: ROUGE-L F1 of each answer against the reference answer, scaled to 0-100.',
  optionsSchema: { type: 'object', additionalProperties: false, properties: {} },
  needsProvider: false,
  create: () => new ReferenceJudge(),
};
