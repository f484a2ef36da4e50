// Test loss as a core `Metric`: opens the model through the bound ModelBackend and the data through a token
// source, and returns the loss with its protocol.
import { inject, injectable } from 'inversify';
import { JudgekitError, ModelBackend, type Device, type Metric, type MetricResult, type ModelSpec } from '@judgekit/core';
import { computeTestLoss } from './test-loss.js';
import { openTokenSource, type TokenFileFormat } from './token-source.js';

/** Options of `TestLossMetric.evaluate` (all but `data` optional). */
export interface TestLossMetricOptions {
  /** Token data: .txt, .jsonl, .bin (uint16 / llm.c) or .safetensors with `tokens`. */
  data: string;
  format?: TokenFileFormat;
  contextLength?: number;
  batchSize?: number;
  stride?: number;
  startToken?: number;
  batches?: number;
  device?: Device;
  threads?: number;
}

@injectable()
export class TestLossMetric implements Metric {
  readonly id = 'test-loss';

  constructor(@inject(ModelBackend) private readonly backend: ModelBackend) {}

  async evaluate(model: ModelSpec, options?: Record<string, unknown>): Promise<MetricResult> {
    const o = (options ?? {}) as Partial<TestLossMetricOptions>;
    if (typeof o.data !== 'string') {
      throw new JudgekitError('usage', 'test-loss needs the token data: pass { data: "<file>" } (.txt, .jsonl, .bin or .safetensors).');
    }
    const source = await openTokenSource(o.data, o.format);
    const likelihood = await this.backend.loadLikelihoodModel(model, {
      ...(o.device !== undefined ? { device: o.device } : {}),
      ...(o.threads !== undefined ? { threads: o.threads } : {}),
    });
    try {
      const result = await computeTestLoss(likelihood, source, {
        ...(o.contextLength !== undefined ? { contextLength: o.contextLength } : {}),
        ...(o.batchSize !== undefined ? { batchSize: o.batchSize } : {}),
        ...(o.stride !== undefined ? { stride: o.stride } : {}),
        ...(o.startToken !== undefined ? { startToken: o.startToken } : {}),
        ...(o.batches !== undefined ? { batches: o.batches } : {}),
      });
      return {
        metric: this.id,
        value: result.loss,
        protocol: { ...result.protocol },
        details: {
          meanOfBatchMeans: result.meanOfBatchMeans,
          tokenMean: result.tokenMean,
          tokens: result.tokens,
          batches: result.batches,
          windows: result.windows,
          perplexity: result.perplexity,
          seconds: result.seconds,
          model: model.name ?? model.path,
        },
      };
    } finally {
      await likelihood.dispose();
      await source.close();
    }
  }
}
