// Test loss as a core `Metric`: opens the model through the bound ModelBackend and the data through a token
// source, and returns the loss with its protocol.
import { inject, injectable } from 'inversify';
import { computeTestLoss, formatLoss, JudgekitError, ModelBackend, openTokenSource, type Device, type Metric, type MetricResult, type ModelSpec, type TestLossOptions, type TestLossResult, type TokenFileFormat } from '@judgekit/core';

/** Options of `TestLossMetric.evaluate` (all but `data` optional; unset ones take `TEST_LOSS_DEFAULTS`, as `judgekit loss`). */
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
  readonly description = "Mean next-token cross-entropy over a held-out token set, with the study's window protocol.";

  constructor(@inject(ModelBackend) private readonly backend: ModelBackend) {}

  async evaluate(model: ModelSpec, options?: Record<string, unknown>): Promise<MetricResult> {
    const o = (options ?? {}) as Partial<TestLossMetricOptions>;
    if (typeof o.data !== 'string') {
      throw new JudgekitError('usage', 'test-loss needs the token data: pass { data: "<file>" } (.txt, .jsonl, .bin or .safetensors).');
    }
    const likelihood = await this.backend.loadLikelihoodModel(model, {
      ...(o.device !== undefined ? { device: o.device } : {}),
      ...(o.threads !== undefined ? { threads: o.threads } : {}),
    });
    try {
      // Text and JSONL documents are tokenized as the model does it.
      const source = await openTokenSource(o.data, { ...(o.format ? { format: o.format } : {}), ...(likelihood.tokenizer ? { tokenizer: likelihood.tokenizer } : {}) });
      try {
        return this.#result(model, await computeTestLoss(likelihood, source, protocolOptions(o)));
      } finally {
        await source.close();
      }
    } finally {
      await likelihood.dispose();
    }
  }

  #result(model: ModelSpec, result: TestLossResult): MetricResult {
    return {
      metric: this.id,
      value: result.loss,
      protocol: { ...result.protocol },
      details: {
        // "2.037 (mean of 12 batch means, 6 x 1024 windows; token mean 2.019, 73,728 tokens)", as every output prints it.
        text: formatLoss(result),
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
  }
}

function protocolOptions(o: Partial<TestLossMetricOptions>): TestLossOptions {
  return {
    ...(o.contextLength !== undefined ? { contextLength: o.contextLength } : {}),
    ...(o.batchSize !== undefined ? { batchSize: o.batchSize } : {}),
    ...(o.stride !== undefined ? { stride: o.stride } : {}),
    ...(o.startToken !== undefined ? { startToken: o.startToken } : {}),
    ...(o.batches !== undefined ? { batches: o.batches } : {}),
  };
}
