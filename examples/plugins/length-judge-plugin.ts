// A third-party judge plugin, written against judgekit's public API only: a new judge mode, `length`, that
// scores each answer by its length in characters (capped at 100) and makes no model calls. A real plugin would
// call a model through a ChatModelProvider; the wiring is the same. Load it by listing this file (or its
// package) under "plugins" in a config, or with `assembleContainer({ plugins: [...] })`.
import { ContainerModule, JudgeFactory, type Judge, type JudgeFactoryOptions, type JudgeItemInput, type JudgeItemResult } from '@judgekit/core';

export class LengthJudge implements Judge {
  readonly mode = 'length';
  readonly description: Judge['description'];

  constructor(readonly cap = 100) {
    this.description = { mode: 'length', provider: 'none', model: `characters-capped-at-${cap}` };
  }

  async scoreItem(input: JudgeItemInput): Promise<JudgeItemResult> {
    return {
      index: input.index,
      repeat: input.repeat,
      scores: input.answers.map((answer) => ({ model: answer.model, score: Math.min(this.cap, answer.response.length) })),
      calls: 0,
      cachedCalls: 0,
      tokenUsage: { prompt: 0, completion: 0 },
      attempts: 1,
    };
  }
}

export const lengthJudgeFactory: JudgeFactory = {
  id: 'length',
  description: 'Scores each answer by its length in characters, capped at `cap`; no model calls.',
  // judgekit validates `judges[].options` against this (errors name the config path) and fills in defaults.
  optionsSchema: {
    type: 'object',
    additionalProperties: false,
    properties: { cap: { type: 'integer', minimum: 1, maximum: 100, default: 100, description: 'Score of an answer this long or longer.' } },
  },
  needsProvider: false,
  create: (options: JudgeFactoryOptions) => new LengthJudge((options.options?.cap as number | undefined) ?? 100),
};

// The module is the plugin: judgekit loads the default export and collects every JudgeFactory bound in it.
export default new ContainerModule(({ bind }) => {
  bind<JudgeFactory>(JudgeFactory).toConstantValue(lengthJudgeFactory);
});
