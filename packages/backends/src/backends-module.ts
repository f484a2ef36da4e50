// DI wiring for @judgekit/backends: ONNX Runtime is the ModelBackend, and test loss is a Metric.
import { ContainerModule } from 'inversify';
import { Metric, ModelBackend } from '@judgekit/core';
import { OnnxBackend } from './onnx-backend.js';
import { TestLossMetric } from './metrics/test-loss-metric.js';

export default new ContainerModule(({ bind }) => {
  bind<ModelBackend>(ModelBackend).to(OnnxBackend).inSingletonScope();
  bind<Metric>(Metric).to(TestLossMetric).inSingletonScope();
});
