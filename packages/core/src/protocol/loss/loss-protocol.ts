// The study's test-loss protocol as one constant, and the one way a loss is written out. Every entry point (the
// library's `computeTestLoss`, `judgekit loss`, the study's loss stage, `TestLossMetric`) fills unset options from
// `TEST_LOSS_DEFAULTS`, and every place that shows a loss shows it with `formatLoss`: the headline number, the
// protocol, and the other aggregate, so two numbers computed differently never pass for the same thing.

/** The study's window protocol (docs: study-reference, "Test loss protocol"). */
export const TEST_LOSS_DEFAULTS = Object.freeze({
  /** Window length in tokens: the study's 1024 (GPT-2's context), capped at a shorter model's context length. */
  contextLength: 1024,
  /** Windows per batch: the study's 6. With a partial last window the mean of batch means depends on it. */
  batchSize: 6,
  /** Where scoring starts (the study's slice starts at token 50,000,000 of its own held-out set). */
  startToken: 0,
  /** A short last window is scored too (padded targets ignored); the study's slice holds only full windows. */
  lastWindow: 'partial windows included',
} as const);

/** The options a loss run takes, each filled from `TEST_LOSS_DEFAULTS` when unset. */
export interface TestLossSettings {
  contextLength: number;
  batchSize: number;
  /** Distance between window starts; the context length (non-overlapping windows) unless given. */
  stride: number;
  startToken: number;
  /** Stop after this many batches; undefined: all the data. */
  batches: number | undefined;
}

/** The settings a loss run uses for `options`; `modelContextLength` caps the default window (never a given one). */
export function resolveTestLossSettings(
  options: { contextLength?: number | undefined; batchSize?: number | undefined; stride?: number | undefined; startToken?: number | undefined; batches?: number | undefined },
  modelContextLength?: number,
): TestLossSettings {
  const contextLength = options.contextLength ?? Math.min(TEST_LOSS_DEFAULTS.contextLength, modelContextLength ?? TEST_LOSS_DEFAULTS.contextLength);
  return {
    contextLength,
    batchSize: options.batchSize ?? TEST_LOSS_DEFAULTS.batchSize,
    stride: options.stride ?? contextLength,
    startToken: options.startToken ?? TEST_LOSS_DEFAULTS.startToken,
    batches: options.batches,
  };
}

/**
 * A measured loss as the run directory keeps it (`loss.json`, `results.json`): the headline number, both
 * aggregates, the counts and the protocol. Fields other than `loss`, `tokens` and `protocol` are absent in
 * records written before they were kept.
 */
export interface LossRecord {
  loss: number;
  meanOfBatchMeans?: number;
  tokenMean?: number;
  tokens: number;
  batches?: number;
  windows?: number;
  protocol: Record<string, unknown>;
}

/** A `LossRecord`, or a `TestLossResult` as `computeTestLoss` returns it. */
export type LossToFormat = Omit<LossRecord, 'protocol'> & { protocol: object };

const integer = (value: number): string => Math.round(value).toLocaleString('en-US');
const finite = (value: unknown): value is number => typeof value === 'number' && Number.isFinite(value);

/**
 * What stands in brackets after a loss: "mean of 12 batch means, 6 x 1024 windows; token mean 2.019, 73,728
 * tokens" (non-overlapping) or "token mean, 6 x 1024 windows, stride 512; mean of 12 batch means 2.037, ..."
 * (strided). A partial last window is named, since it is what makes the two means differ.
 */
export function formatLossProtocol(record: LossToFormat): string {
  const p = record.protocol as Record<string, unknown>;
  const shape = finite(p.batchSize) && finite(p.contextLength) ? `${p.batchSize} x ${p.contextLength} windows` : 'protocol not recorded';
  const batches = finite(record.batches) ? `mean of ${integer(record.batches)} batch mean${record.batches === 1 ? '' : 's'}` : 'mean of batch means';
  const tokens = `${integer(record.tokens)} tokens`;
  const strided = p.kind === 'strided' || p.aggregate === 'token-mean';
  if (strided) {
    const stride = finite(p.stride) ? `, stride ${p.stride}` : '';
    const other = finite(record.meanOfBatchMeans) ? `${batches} ${record.meanOfBatchMeans.toFixed(3)}` : 'mean of batch means not recorded';
    return `token mean, ${shape}${stride}; ${other}, ${tokens}`;
  }
  const partial = finite(record.windows) && finite(p.contextLength) && record.tokens < record.windows * p.contextLength ? ', last window partial' : '';
  const other = finite(record.tokenMean) ? `token mean ${record.tokenMean.toFixed(3)}` : 'token mean not recorded';
  return `${batches}, ${shape}${partial}; ${other}, ${tokens}`;
}

/** "2.037 (mean of 12 batch means, 6 x 1024 windows; token mean 2.019, 73,728 tokens)". */
export function formatLoss(record: LossToFormat): string {
  return `${Number.isFinite(record.loss) ? record.loss.toFixed(3) : 'n/a'} (${formatLossProtocol(record)})`;
}
