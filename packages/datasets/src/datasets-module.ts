// DI wiring for @judgekit/datasets: the Alpaca loader is the InstructionDataset.
import { ContainerModule } from 'inversify';
import { InstructionDataset } from '@judgekit/core';
import { AlpacaDatasetLoader } from './alpaca-dataset-loader.js';

export default new ContainerModule(({ bind }) => {
  // A dynamic value, so the loader's optional constructor options never look like an injected dependency.
  bind<InstructionDataset>(InstructionDataset)
    .toDynamicValue(() => new AlpacaDatasetLoader())
    .inSingletonScope();
});
