// A third-party judge plugin, written against judgekit's public API only: a new judge mode, `length`, that
// scores each answer by its length in characters (capped at 100) and makes no model calls. A real plugin would
// call a model through a ChatModelProvider; the wiring is the same. Load it by listing this file (or its
// package) under "plugins" in a config, or with `assembleContainer({ plugins: [...] })`.
import { JudgeFactory, type Judge, type JudgeFactoryOptions, type JudgeItemInput, type JudgeItemResult } from '@judgekit/core';
import { ContainerModule } from 'inversify';

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
  mode: 'length',
  needsProvider: false,
  create: (_options: JudgeFactoryOptions) => new LengthJudge(),
};

// The module is the plugin: judgekit loads the default export and collects every JudgeFactory bound in it.
export default new ContainerModule(({ bind }) => {
  bind<JudgeFactory>(JudgeFactory).toConstantValue(lengthJudgeFactory);
});
