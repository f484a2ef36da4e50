// DI wiring of the unigram backend. ContainerModule comes from @judgekit/core, so the plugin needs no inversify
// of its own and an application always has one copy.
import { ContainerModule, ModelBackend } from '@judgekit/core';
import { UnigramBackend } from './unigram-backend.js';

export default new ContainerModule(({ bind }) => {
  bind<ModelBackend>(ModelBackend).toConstantValue(new UnigramBackend());
});
