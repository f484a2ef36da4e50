// The study's answer file for one model: every test record's prompt is generated from, and the answers are written
// as `{name}-ift-test-results.json` (a JSON array in test-split order). Finished items go to a checksummed
// `{name}.generation.jsonl` log as each batch ends, so an interrupted run resumes and redoes only what is missing;
// the final JSON is written atomically once every item has an answer.
import { join } from 'node:path';
import type { GenerationOptions, GenerativeModel } from '../../contracts/model-backend.js';
import type { AlpacaRecord, AnswerRecord } from '../../contracts/records.js';
import { getPromptTemplate, type AlpacaPromptTemplate, type PromptTemplateRef } from '../../data/prompt-template.js';
import { JudgekitError } from '../../errors.js';
import { JsonlLog } from '../../run/jsonl-log.js';
import { writeJsonAtomic } from '../../util/atomic-write.js';
import { canonicalHash } from '../../util/canonical-hash.js';
import { Progress } from '../../util/progress.js';
import { shortFingerprint as shortId } from '../../util/file-fingerprint.js';
import { assertPathSafeName } from '../../util/safe-name.js';
import { DEFAULT_GENERATION_BATCH_SIZE, lengthSortedBatches, STUDY_MAX_NEW_TOKENS } from './answer-batches.js';
import { extractAnswerText } from './answer-text.js';

export interface GenerateAnswersOptions {
  /** Its `tokenizer` encodes the prompts, gives the stop token and decodes the answers. */
  model: GenerativeModel;
  /** The test split, in order. */
  records: readonly AlpacaRecord[];
  /** Output directory. */
  out: string;
  /** Model name: the file is `{name}-ift-test-results.json`. */
  name: string;
  /** `book` (default), `study`, or a custom template. */
  template?: PromptTemplateRef;
  /** Prompts per forward pass; default 32. */
  batchSize?: number;
  /** Default 256. */
  maxNewTokens?: number;
  temperature?: number;
  topK?: number;
  topP?: number;
  seed?: number;
  /**
   * What identifies the weights by content (e.g. `weightsFingerprint`'s `sha256:...`): a resumed run only reuses
   * answers made by the same weights, and says so when it drops answers made by others.
   */
  modelId?: string;
  /** Told why logged answers are not reused (other weights, other settings), naming the model. */
  notify?: (message: string) => void;
  /** Progress line on stderr; default: on for a TTY outside CI. */
  progress?: boolean;
  progressStream?: NodeJS.WriteStream;
  /** Appended to the progress line (e.g. a queue coordinator's `units 3/9 | 2 workers`). */
  progressStatus?: () => string | undefined;
  /**
   * Chunks (forward batches) generated at once; default 1. More only helps a model whose `generate` runs elsewhere
   * (queue workers): the chunks and their order of logging do not change, so neither do the answers.
   */
  chunksInFlight?: number;
  signal?: AbortSignal;
}

export interface GenerationLogEntry extends AnswerRecord {
  /** Settings the answer was made with; a resume ignores entries made with others. */
  settings: string;
  completionTokens: number;
  /** The `modelId` of the weights that made it (absent in logs of older versions). */
  model?: string;
}

export interface GenerateAnswersResult {
  /** The `{name}-ift-test-results.json` written. */
  path: string;
  logPath: string;
  answers: AnswerRecord[];
  /** Items generated in this run. */
  generated: number;
  /** Items taken from the log of an earlier, interrupted run. */
  resumed: number;
}

export function answerFileName(name: string): string {
  return `${name}-ift-test-results.json`;
}

function checkName(name: string): void {
  assertPathSafeName(name, 'model');
}

/** The sampling settings of every call, and the hash a resumed log entry must match to be reused. */
function generationSettings(options: GenerateAnswersOptions, template: AlpacaPromptTemplate): { generation: GenerationOptions; settings: string } {
  const generation: GenerationOptions = {
    maxNewTokens: options.maxNewTokens ?? STUDY_MAX_NEW_TOKENS,
    stopToken: options.model.tokenizer.endOfText,
    ...(options.temperature !== undefined ? { temperature: options.temperature } : {}),
    ...(options.topK !== undefined ? { topK: options.topK } : {}),
    ...(options.topP !== undefined ? { topP: options.topP } : {}),
    ...(options.seed !== undefined ? { seed: options.seed } : {}),
  };
  const settings = canonicalHash({
    template: { prompt: template.prompt, input: template.input, response: template.response },
    generation,
    model: options.modelId ?? null,
    contextLength: options.model.contextLength,
  });
  return { generation, settings };
}

interface ResumedAnswers {
  answers: (AnswerRecord | undefined)[];
  /** Logged answers to the same records that are not reused: made by other weights, or with other settings. */
  otherWeights: { count: number; model: string | undefined };
  otherSettings: { count: number; unnamedWeights: boolean };
}

/** Answers already in the log for the same record and settings; the rest are undefined. */
async function resumeAnswers(log: JsonlLog<GenerationLogEntry>, records: readonly AlpacaRecord[], settings: string, modelId: string | undefined): Promise<ResumedAnswers> {
  const { entries } = await log.read();
  const found: ResumedAnswers = { answers: [], otherWeights: { count: 0, model: undefined }, otherSettings: { count: 0, unnamedWeights: false } };
  found.answers = records.map((record, index) => {
    const entry = entries.get(String(index));
    if (entry === undefined || entry.instruction !== record.instruction || entry.input !== record.input || entry.output !== record.output) return undefined;
    if (entry.settings !== settings) {
      if (entry.model !== undefined && modelId !== undefined && entry.model !== modelId) {
        found.otherWeights.count += 1;
        found.otherWeights.model ??= entry.model;
      } else {
        found.otherSettings.count += 1;
        // Logs of older versions do not say which weights made an answer.
        if (entry.model === undefined && modelId !== undefined) found.otherSettings.unnamedWeights = true;
      }
      return undefined;
    }
    return { instruction: record.instruction, input: record.input, output: record.output, model_response: entry.model_response };
  });
  return found;
}

function plural(count: number, word: string): string {
  return `${count} ${word}${count === 1 ? '' : 's'}`;
}

export async function generateAnswers(options: GenerateAnswersOptions): Promise<GenerateAnswersResult> {
  const { model, records, out, name } = options;
  checkName(name);
  const template = getPromptTemplate(options.template ?? 'book');
  const { tokenizer } = model;
  const { generation, settings } = generationSettings(options, template);
  const prompts = records.map((record) => template.formatPrompt(record));
  const promptIds = prompts.map((prompt) => tokenizer.encode(prompt, { allowEndOfText: true }));

  const log = new JsonlLog<GenerationLogEntry>(join(out, `${name}.generation.jsonl`));
  const { answers, otherWeights, otherSettings } = await resumeAnswers(log, records, settings, options.modelId);
  if (otherWeights.count > 0) {
    options.notify?.(
      `${plural(otherWeights.count, 'answer')} of "${name}" in ${log.path} ${otherWeights.count === 1 ? 'was' : 'were'} made by other weights ` +
        `(${shortId(otherWeights.model as string)}, now ${shortId(options.modelId as string)}): generating ${otherWeights.count === 1 ? 'it' : 'them'} again`,
    );
  }
  if (otherSettings.count > 0) {
    const one = otherSettings.count === 1;
    options.notify?.(
      `${plural(otherSettings.count, 'answer')} of "${name}" in ${log.path} ${one ? 'was' : 'were'} made with other generation settings` +
        `${otherSettings.unnamedWeights ? ' or by weights the log does not name' : ''}: generating ${one ? 'it' : 'them'} again`,
    );
  }
  const missing = answers.flatMap((answer, index) => (answer === undefined ? [index] : []));
  const resumed = records.length - missing.length;

  const batchSize = options.batchSize ?? DEFAULT_GENERATION_BATCH_SIZE;
  const progress = new Progress({
    label: `generate ${name}`,
    total: records.length,
    unit: 'answers',
    ...(options.progress !== undefined ? { enabled: options.progress } : {}),
    ...(options.progressStream ? { stream: options.progressStream } : {}),
    ...(options.progressStatus ? { status: options.progressStatus } : {}),
  });
  if (resumed > 0) progress.tick(resumed);
  // Longest prompts first, batched by length; each chunk is one forward batch, logged as soon as it is done.
  const chunks = lengthSortedBatches(
    missing.map((index) => (promptIds[index] as number[]).length),
    batchSize,
  ).map((positions) => positions.map((p) => missing[p] as number));
  const generateChunk = async (chunk: number[]): Promise<void> => {
    if (options.signal?.aborted) {
      throw new JudgekitError('usage', `Generation for "${name}" was interrupted; run the same command again to resume from ${log.path}.`, { file: log.path });
    }
    const completions = await model.generate(
      chunk.map((index) => promptIds[index] as number[]),
      { ...generation, batchSize },
    );
    // One write for the chunk's answers: a run killed between two answers' writes would log half a chunk, and its
    // rerun would cut the rest into other chunks (a queue reattaches units finished while it was down by their ids).
    await log.appendAll(
      chunk.map((index, b) => {
        const record = records[index] as AlpacaRecord;
        const completion = completions[b] ?? [];
        const full = tokenizer.decode([...(promptIds[index] as number[]), ...completion]);
        const answer: AnswerRecord = {
          instruction: record.instruction,
          input: record.input,
          output: record.output,
          model_response: extractAnswerText(full, prompts[index] as string, template.responseHeader),
        };
        answers[index] = answer;
        return [String(index), { ...answer, settings, completionTokens: completion.length, ...(options.modelId !== undefined ? { model: options.modelId } : {}) }] as const;
      }),
    );
    progress.tick(chunk.length);
  };
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < chunks.length) await generateChunk(chunks[next++] as number[]);
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(options.chunksInFlight ?? 1, chunks.length)) }, lane));
  progress.finish();

  const path = join(out, answerFileName(name));
  const complete = answers as AnswerRecord[];
  await writeJsonAtomic(path, complete);
  return { path, logPath: log.path, answers: complete, generated: missing.length, resumed };
}
