// DI wiring of @judgekit/judges: the OpenAI and Anthropic chat-model providers and the four judge modes (single, batched, reference, pairwise),
// each a multi-bound contribution.
import { ChatModelProviderFactory } from '@judgekit/core';
import { ContainerModule } from 'inversify';
import { batchedJudgeFactory } from './batched-judge.js';
import { JudgeFactory } from './judge-factory.js';
import { anthropicProviderFactory } from './providers/anthropic-provider.js';
import { openAiProviderFactory } from './providers/openai-provider.js';
import { pairwiseJudgeFactory } from './pairwise-judge.js';
import { referenceJudgeFactory } from './reference-judge.js';
import { singleJudgeFactory } from './single-judge.js';

export default new ContainerModule(({ bind }) => {
  bind<ChatModelProviderFactory>(ChatModelProviderFactory).toConstantValue(openAiProviderFactory);
  bind<ChatModelProviderFactory>(ChatModelProviderFactory).toConstantValue(anthropicProviderFactory);
  bind<JudgeFactory>(JudgeFactory).toConstantValue(singleJudgeFactory);
  bind<JudgeFactory>(JudgeFactory).toConstantValue(batchedJudgeFactory);
  bind<JudgeFactory>(JudgeFactory).toConstantValue(referenceJudgeFactory);
  bind<JudgeFactory>(JudgeFactory).toConstantValue(pairwiseJudgeFactory);
});
