// DI wiring of the words dataset. This plugin takes ContainerModule from its own `inversify` (a peer dependency)
// rather than from @judgekit/core, and still loads when npm gives it a separate copy: judgekit accepts a
// ContainerModule from any inversify 8.
import { InstructionDataset } from '@judgekit/core';
import { ContainerModule } from 'inversify';
import { WordsDataset } from './words-dataset.js';

export default new ContainerModule(({ bind }) => {
  bind<InstructionDataset>(InstructionDataset).toConstantValue(new WordsDataset());
});
