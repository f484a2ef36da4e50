// DI wiring of the rubric judge. ContainerModule comes from @judgekit/core, so the plugin needs no inversify of
// its own and an application always has one copy.
import { ContainerModule, JudgeFactory } from '@judgekit/core';
import { rubricJudgeFactory } from './rubric-judge.js';

export default new ContainerModule(({ bind }) => {
  bind<JudgeFactory>(JudgeFactory).toConstantValue(rubricJudgeFactory);
});
