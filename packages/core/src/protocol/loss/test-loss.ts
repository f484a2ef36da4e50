// Test loss: mean cross-entropy over a held-out token stream, under a protocol written into the result so two
// numbers are only compared when computed the same way. Non-overlapping windows (stride = context length) are
// the study's protocol; a smaller stride gives the sliding-window (Hugging Face perplexity) variant, in which each
// window scores only the tokens no earlier window scored.
import type { LikelihoodModel } from '../../contracts/model-backend.js';
import { JudgekitError } from '../../errors.js';
import type { TokenSource } from './token-source.js';
import { resolveTestLossSettings, TEST_LOSS_DEFAULTS } from './loss-protocol.js';

export interface TestLossOptions {
  /** Window length (default `TEST_LOSS_DEFAULTS.contextLength`, 1024, or the model's context length if shorter). */
  contextLength?: number;
  /** Windows per batch (default `TEST_LOSS_DEFAULTS.batchSize`, 6, the study's). */
  batchSize?: number;
  /** Distance between window starts (default: contextLength, i.e. non-overlapping). */
  stride?: number;
  /** Token index where the slice starts (default 0; the study used 50,000,000). */
  startToken?: number;
  /** Stop after this many batches (default: all the data). */
  batches?: number;
  /** Token used to pad a short last window (default 0; padded positions come after the real ones and are not scored). */
  padToken?: number;
  /** Called after each batch. */
  onBatch?: (done: number, total: number) => void;
}

/** One window: inputs tokens[begin, begin + length), targets shifted by one; the first `skip` targets are not scored. */
export interface LossWindow {
  begin: number;
  length: number;
  skip: number;
}

export interface TestLossProtocol {
  kind: 'non-overlapping' | 'strided';
  contextLength: number;
  stride: number;
  batchSize: number;
  startToken: number;
  batchesRequested: number | null;
  targets: 'inputs shifted by one token';
  aggregate: 'mean-of-batch-means' | 'token-mean';
  lastWindow: typeof TEST_LOSS_DEFAULTS.lastWindow;
  tokens: string;
}

export interface TestLossResult {
  /** The protocol's headline number: mean of batch means (non-overlapping) or token mean (strided). */
  loss: number;
  meanOfBatchMeans: number;
  tokenMean: number;
  /** Scored (predicted) tokens. */
  tokens: number;
  batches: number;
  windows: number;
  perplexity: number;
  seconds: number;
  protocol: TestLossProtocol;
}

/** The windows of a token stream of `total` tokens; each target token is scored exactly once. */
export function planLossWindows(total: number, options: { contextLength: number; stride: number; startToken: number; maxWindows?: number }): LossWindow[] {
  const { contextLength, stride, startToken } = options;
  if (!Number.isInteger(contextLength) || contextLength < 1) throw new JudgekitError('usage', `context length must be a positive integer, got ${contextLength}.`);
  if (!Number.isInteger(stride) || stride < 1 || stride > contextLength) {
    throw new JudgekitError('usage', `stride must be an integer in [1, context length ${contextLength}], got ${stride}.`);
  }
  if (!Number.isInteger(startToken) || startToken < 0) throw new JudgekitError('usage', `start token must be a non-negative integer, got ${startToken}.`);
  const windows: LossWindow[] = [];
  let scoredThrough = startToken; // highest token index already scored as a target (the start token never is)
  for (let begin = startToken; scoredThrough < total - 1; begin += stride) {
    if (options.maxWindows !== undefined && windows.length >= options.maxWindows) break;
    const length = Math.min(contextLength, total - 1 - begin);
    if (length <= 0) break;
    const skip = Math.max(0, scoredThrough - begin);
    windows.push({ begin, length, skip });
    scoredThrough = begin + length;
  }
  return windows;
}

export function testLossProtocol(contextLength: number, stride: number, batchSize: number, startToken: number, batches: number | undefined, tokens: string): TestLossProtocol {
  const kind = stride === contextLength ? 'non-overlapping' : 'strided';
  return {
    kind,
    contextLength,
    stride,
    batchSize,
    startToken,
    batchesRequested: batches ?? null,
    targets: 'inputs shifted by one token',
    aggregate: kind === 'non-overlapping' ? 'mean-of-batch-means' : 'token-mean',
    lastWindow: TEST_LOSS_DEFAULTS.lastWindow,
    tokens,
  };
}

/** Stream windows batch by batch through the model and aggregate in float64. */
export interface LossSettings {
  contextLength: number;
  batchSize: number;
  stride: number;
  startToken: number;
}

/** The options with their defaults, checked against the model and the data. */
function lossSettings(model: LikelihoodModel, source: TokenSource, options: TestLossOptions): LossSettings {
  const { contextLength, batchSize, stride, startToken } = resolveTestLossSettings(options, model.contextLength);
  if (contextLength > model.contextLength) {
    throw new JudgekitError('usage', `context length ${contextLength} exceeds the model's ${model.contextLength}.`);
  }
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new JudgekitError('usage', `batch size must be a positive integer, got ${batchSize}.`);
  if (options.batches !== undefined && (!Number.isInteger(options.batches) || options.batches < 1)) {
    throw new JudgekitError('usage', `batches must be a positive integer, got ${options.batches}.`);
  }
  if (startToken >= source.length - 1) {
    throw new JudgekitError('input', `the start token ${startToken} leaves nothing to score: the data holds ${source.length} tokens (${source.description}).`);
  }
  return { contextLength, batchSize, stride, startToken };
}

/** Summed NLL and scored-token count of one batch of windows (float64 sum in position order). */
export async function scoreLossBatch(model: LikelihoodModel, source: TokenSource, group: readonly LossWindow[], padToken: number, batch: number): Promise<{ sum: number; count: number }> {
  const seq = Math.max(...group.map((w) => w.length));
  const inputs = new Int32Array(group.length * seq).fill(padToken);
  const targets = new Int32Array(group.length * seq).fill(-100);
  // Windows of one batch are usually contiguous: read their span once.
  const spanStart = group[0]!.begin;
  const spanEnd = Math.max(...group.map((w) => w.begin + w.length + 1));
  const span = await source.read(spanStart, spanEnd - spanStart);
  group.forEach((w, row) => {
    const at = w.begin - spanStart;
    inputs.set(span.subarray(at, at + w.length), row * seq);
    for (let i = w.skip; i < w.length; i++) targets[row * seq + i] = span[at + i + 1]!;
  });
  let nll: Float32Array;
  try {
    ({ nll } = await model.tokenNll(inputs, targets, group.length, seq));
  } catch (error) {
    if (!JudgekitError.is(error, 'input')) throw error;
    throw new JudgekitError('input', `batch ${batch} (tokens ${spanStart}..${spanEnd - 1} of ${source.description}): ${error.message}`, { location: `batch ${batch}`, cause: error });
  }
  let sum = 0;
  let count = 0;
  for (let i = 0; i < targets.length; i++) {
    if (targets[i] === -100) continue;
    sum += nll[i]!;
    count++;
  }
  return { sum, count };
}

/** The resolved protocol settings and the windows of a loss run, before any batch is scored. */
export interface TestLossPlan extends LossSettings {
  windows: LossWindow[];
  totalBatches: number;
}

/** What `computeTestLoss` scores: settings checked against the model and the data, and the windows. */
export function planTestLoss(model: LikelihoodModel, source: TokenSource, options: TestLossOptions = {}): TestLossPlan {
  const settings = lossSettings(model, source, options);
  const windows = planLossWindows(source.length, { contextLength: settings.contextLength, stride: settings.stride, startToken: settings.startToken, ...(options.batches !== undefined ? { maxWindows: options.batches * settings.batchSize } : {}) });
  return { ...settings, windows, totalBatches: Math.ceil(windows.length / settings.batchSize) };
}

/** Batch `b` of a plan scored (its windows, padded as in-process). */
export function scorePlannedBatch(model: LikelihoodModel, source: TokenSource, plan: TestLossPlan, b: number, padToken = 0): Promise<{ sum: number; count: number }> {
  return scoreLossBatch(model, source, plan.windows.slice(b * plan.batchSize, (b + 1) * plan.batchSize), padToken, b);
}

/**
 * The result from every batch's NLL sum and token count, in batch order: the same float64 additions in the same
 * order as `computeTestLoss`, so batches scored elsewhere (queue workers) give the same bits.
 */
export function aggregateTestLoss(batchScores: ReadonlyArray<{ sum: number; count: number }>, plan: Pick<TestLossPlan, 'contextLength' | 'stride' | 'batchSize' | 'startToken'> & { windows: number }, batchesRequested: number | undefined, tokens: string, seconds: number): TestLossResult {
  let sumOfBatchMeans = 0;
  let tokenSum = 0;
  let tokenCount = 0;
  let batchesScored = 0;
  for (const { sum, count } of batchScores) {
    if (count > 0) {
      sumOfBatchMeans += sum / count;
      batchesScored++;
    }
    tokenSum += sum;
    tokenCount += count;
  }
  const protocol = testLossProtocol(plan.contextLength, plan.stride, plan.batchSize, plan.startToken, batchesRequested, tokens);
  const meanOfBatchMeans = sumOfBatchMeans / batchesScored;
  const tokenMean = tokenSum / tokenCount;
  const loss = protocol.aggregate === 'mean-of-batch-means' ? meanOfBatchMeans : tokenMean;
  return { loss, meanOfBatchMeans, tokenMean, tokens: tokenCount, batches: batchScores.length, windows: plan.windows, perplexity: Math.exp(loss), seconds, protocol };
}

export async function computeTestLoss(model: LikelihoodModel, source: TokenSource, options: TestLossOptions = {}): Promise<TestLossResult> {
  const started = performance.now();
  const plan = planTestLoss(model, source, options);
  const scores: Array<{ sum: number; count: number }> = [];
  for (let b = 0; b < plan.totalBatches; b++) {
    scores.push(await scorePlannedBatch(model, source, plan, b, options.padToken ?? 0));
    options.onBatch?.(b + 1, plan.totalBatches);
  }
  return aggregateTestLoss(scores, { ...plan, windows: plan.windows.length }, options.batches, source.description, (performance.now() - started) / 1000);
}
