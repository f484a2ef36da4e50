// The study's answer file for one model: every test record's prompt is generated from, and the answers are written
// as `{name}-ift-test-results.json` (a JSON array in test-split order). Finished items go to a checksummed
// `{name}.generation.jsonl` log as each batch ends, so an interrupted run resumes and redoes only what is missing;
// the final JSON is written atomically once every item has an answer.
import { join } from 'node:path';
import {
  canonicalHash,
  getPromptTemplate,
  JsonlLog,
  JudgekitError,
  Progress,
  writeJsonAtomic,
  type AlpacaRecord,
  type AnswerRecord,
  type GenerationOptions,
  type GenerativeModel,
  type PromptTemplateRef,
} from '@judgekit/core';
import { type Gpt2Tokenizer, gpt2Tokenizer } from '../tokenizer/gpt2-tokenizer.js';
import { extractAnswerText } from './answer-text.js';
import { DEFAULT_GENERATION_BATCH_SIZE, lengthSortedBatches, STUDY_MAX_NEW_TOKENS } from './batched-generation.js';

export interface GenerateAnswersOptions {
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
  /** Anything that identifies the weights (path, size, hash): a resumed run only reuses answers from the same model. */
  modelId?: string;
  tokenizer?: Pick<Gpt2Tokenizer, 'encode' | 'decode' | 'endOfTextId'>;
  /** Progress line on stderr; default: on for a TTY outside CI. */
  progress?: boolean;
  progressStream?: NodeJS.WriteStream;
  signal?: AbortSignal;
}

export interface GenerationLogEntry extends AnswerRecord {
  /** Settings the answer was made with; a resume ignores entries made with others. */
  settings: string;
  completionTokens: number;
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
  if (typeof name !== 'string' || name === '' || /[\\/]/.test(name) || name === '.' || name === '..') {
    throw new JudgekitError('usage', `Model name "${String(name)}" cannot be used in a file name: use letters, digits, '-', '_' or '.', without slashes.`);
  }
}

export async function generateAnswers(options: GenerateAnswersOptions): Promise<GenerateAnswersResult> {
  const { model, records, out, name } = options;
  checkName(name);
  const template = getPromptTemplate(options.template ?? 'book');
  const tokenizer = options.tokenizer ?? gpt2Tokenizer;
  const generation: GenerationOptions = {
    maxNewTokens: options.maxNewTokens ?? STUDY_MAX_NEW_TOKENS,
    stopToken: tokenizer.endOfTextId,
    ...(options.temperature !== undefined ? { temperature: options.temperature } : {}),
    ...(options.topK !== undefined ? { topK: options.topK } : {}),
    ...(options.topP !== undefined ? { topP: options.topP } : {}),
    ...(options.seed !== undefined ? { seed: options.seed } : {}),
  };
  const settings = canonicalHash({
    template: { prompt: template.prompt, input: template.input, response: template.response },
    generation,
    model: options.modelId ?? null,
    contextLength: model.contextLength,
  });

  const prompts = records.map((record) => template.formatPrompt(record));
  const promptIds = prompts.map((prompt) => tokenizer.encode(prompt, { allowEndOfText: true }));

  const log = new JsonlLog<GenerationLogEntry>(join(out, `${name}.generation.jsonl`));
  const { entries } = await log.read();
  const answers: (AnswerRecord | undefined)[] = records.map((record, index) => {
    const entry = entries.get(String(index));
    const same =
      entry !== undefined &&
      entry.settings === settings &&
      entry.instruction === record.instruction &&
      entry.input === record.input &&
      entry.output === record.output;
    return same ? { instruction: record.instruction, input: record.input, output: record.output, model_response: entry.model_response } : undefined;
  });
  const missing = answers.flatMap((answer, index) => (answer === undefined ? [index] : []));
  const resumed = records.length - missing.length;

  const batchSize = options.batchSize ?? DEFAULT_GENERATION_BATCH_SIZE;
  const progress = new Progress({
    label: `generate ${name}`,
    total: records.length,
    unit: 'answers',
    ...(options.progress !== undefined ? { enabled: options.progress } : {}),
    ...(options.progressStream ? { stream: options.progressStream } : {}),
  });
  if (resumed > 0) progress.tick(resumed);
  // Longest prompts first, batched by length; each chunk is one forward batch, logged as soon as it is done.
  const chunks = lengthSortedBatches(
    missing.map((index) => (promptIds[index] as number[]).length),
    batchSize,
  ).map((positions) => positions.map((p) => missing[p] as number));
  for (const chunk of chunks) {
    if (options.signal?.aborted) {
      throw new JudgekitError('usage', `Generation for "${name}" was interrupted; run the same command again to resume from ${log.path}.`, { file: log.path });
    }
    const completions = await model.generate(
      chunk.map((index) => promptIds[index] as number[]),
      { ...generation, batchSize },
    );
    await Promise.all(
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
        return log.append(String(index), { ...answer, settings, completionTokens: completion.length });
      }),
    );
    progress.tick(chunk.length);
  }
  progress.finish();

  const path = join(out, answerFileName(name));
  const complete = answers as AnswerRecord[];
  await writeJsonAtomic(path, complete);
  return { path, logPath: log.path, answers: complete, generated: missing.length, resumed };
}

