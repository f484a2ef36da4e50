// The study's batched comparative prompt, the JSON Schema of its reply, and the reply parser. Models are
// shown only as "Model 1..N"; the caller maps slots back to models.
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import { fenced } from './text-fence.js';
import { jsonObjectsIn } from './json-in-text.js';
import { quoteReply, type ReplyParseOptions } from './single-judge-prompt.js';

export interface BatchedJudgePromptInput {
  /** The full formatted Alpaca prompt. */
  prompt: string;
  /** The reference output. */
  output: string;
  /** Responses in display order: slot j (0-based) is shown as "Model j+1". */
  responses: readonly string[];
}

const INSTRUCTIONS_HEAD = `You are judging the comparative capabilities of a number of different LLM
models.  They have been trained to follow instructions.

The input was this:
`;

const INSTRUCTIONS_FORMAT = `Please produce a score of between 0 and 100 for each model, and respond
with a JSON structure like this (note that the number of models may differ
from this example):

\`\`\`
{
    "Model 1": {"score": XXX, "comments": "optional comments"},
    "Model 2": {"score": YYY, "comments": "optional comments"},
    "Model 3": {"score": ZZZ, "comments": "optional comments"}
}
\`\`\`

...where the XXX, YYY and ZZZ are the scores for the respective models.
You can optionally add the "comments" field if you want to explain your
reasoning.

Here are the models' responses:`;

/** The study's prompt, with every quoted text in a fence it cannot close. */
export function formatBatchedJudgePrompt(input: BatchedJudgePromptInput): string {
  const parts = [
    INSTRUCTIONS_HEAD,
    fenced(input.prompt),
    '',
    'An example correct output is this:',
    '',
    fenced(input.output),
    '',
    INSTRUCTIONS_FORMAT,
  ];
  input.responses.forEach((response, slot) => {
    parts.push('', `# Model ${slot + 1}`, '', fenced(response));
  });
  return `${parts.join('\n')}\n`;
}

export function modelLabel(slot: number): string {
  return `Model ${slot + 1}`;
}

/** An object with one entry per "Model j" slot, each shaped by `slot`. */
function perSlotSchema(modelCount: number, slot: Record<string, unknown>): Record<string, unknown> {
  const labels = Array.from({ length: modelCount }, (_, index) => modelLabel(index));
  return { type: 'object', required: labels, additionalProperties: false, properties: Object.fromEntries(labels.map((label) => [label, slot])) };
}

/** The reply shape for validation: every "Model j" present with an integer score 0-100; comments optional. */
export function batchedReplySchema(modelCount: number): Record<string, unknown> {
  return perSlotSchema(modelCount, { type: 'object', required: ['score'], properties: { score: { type: 'integer', minimum: 0, maximum: 100 }, comments: { type: 'string' } } });
}

/**
 * The same shape for OpenAI structured outputs (`response_format: json_schema`, strict): strict mode needs
 * every property required and no extra properties, so `comments` is required there (it may be empty).
 */
export function batchedResponseFormat(modelCount: number): { name: string; schema: Record<string, unknown> } {
  const slot = { type: 'object', required: ['score', 'comments'], additionalProperties: false, properties: { score: { type: 'integer' }, comments: { type: 'string' } } };
  return { name: 'model_scores', schema: perSlotSchema(modelCount, slot) };
}

export interface SlotScore {
  score: number;
  comments?: string;
}

/** `lenient`: set when only the lenient reading accepted the reply (see `parseBatchedReply`). */
export type BatchedParse = { slots: SlotScore[]; lenient?: true } | { error: string };

const ajv = new Ajv({ allErrors: true, strict: true });
const validators = new Map<number, ValidateFunction>();

function validatorFor(modelCount: number): ValidateFunction {
  let validate = validators.get(modelCount);
  if (!validate) {
    validate = ajv.compile(batchedReplySchema(modelCount));
    validators.set(modelCount, validate);
  }
  return validate;
}

/**
 * The strict reading's JSON text: the reply as is when it starts with `{`, the inside of a code fence that is the
 * whole reply, else the text between the first `{` and the last `}`. (The lenient reading uses `jsonObjectsIn`.)
 */
export function extractJsonText(reply: string): string {
  const text = reply.trim();
  const fence = /^(`{3,}|~{3,})[\w-]*[ \t]*\n([\s\S]*?)\n?\1\s*$/.exec(text);
  if (fence) return (fence[2] as string).trim();
  if (text.startsWith('{')) return text;
  const first = text.indexOf('{');
  const last = text.lastIndexOf('}');
  return first >= 0 && last > first ? text.slice(first, last + 1) : text;
}

function describeErrors(errors: readonly ErrorObject[] | null | undefined): string {
  return (errors ?? [])
    .slice(0, 4)
    .map((error) => {
      const where = error.instancePath ? error.instancePath.slice(1).replace(/~1/g, '/').replace(/~0/g, '~') : 'reply';
      if (error.keyword === 'required') return `${where} has no "${String(error.params.missingProperty)}"`;
      if (error.keyword === 'additionalProperties') return `${where} has an unexpected key "${String(error.params.additionalProperty)}"`;
      return `${where} ${error.message ?? 'is invalid'}`;
    })
    .join('; ');
}

function slotsOf(value: unknown, modelCount: number): SlotScore[] {
  const object = value as Record<string, { score: number; comments?: string }>;
  return Array.from({ length: modelCount }, (_, slot) => {
    const entry = object[modelLabel(slot)] as { score: number; comments?: string };
    return entry.comments === undefined ? { score: entry.score } : { score: entry.score, comments: entry.comments };
  });
}

function parseStrict(reply: string, modelCount: number): BatchedParse {
  let value: unknown;
  try {
    value = JSON.parse(extractJsonText(reply));
  } catch {
    return { error: `reply is not JSON: ${quoteReply(reply.trim())}` };
  }
  const validate = validatorFor(modelCount);
  if (!validate(value)) return { error: `invalid reply: ${describeErrors(validate.errors)}` };
  return { slots: slotsOf(value, modelCount) };
}

/** A whole number written as a string ("85", " 85.0 "). */
const NUMERIC_STRING = /^\s*\+?\d+(?:\.0*)?\s*$/;

/** A copy of `value` with every `"Model j": {"score": "85"}` score read as the number. */
function withNumericScores(value: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(value).map(([key, entry]) => {
      if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) return [key, entry];
      const score = (entry as Record<string, unknown>).score;
      return [key, typeof score === 'string' && NUMERIC_STRING.test(score) ? { ...entry, score: Number(score) } : entry];
    }),
  );
}

/** The first JSON object anywhere in the reply that has the reply's shape, scores written as strings accepted. */
function parseLenient(reply: string, modelCount: number): BatchedParse {
  const objects = jsonObjectsIn(reply);
  if (objects.length === 0) return { error: `reply is not JSON and holds no JSON object: ${quoteReply(reply.trim())}` };
  const validate = validatorFor(modelCount);
  let firstErrors: string | undefined;
  for (const object of objects) {
    const value = withNumericScores(object);
    if (validate(value)) return { slots: slotsOf(value, modelCount), lenient: true };
    firstErrors ??= describeErrors(validate.errors);
  }
  return { error: `invalid reply: ${firstErrors ?? 'reply'}` };
}

/**
 * Parse and validate a batched judge reply for `modelCount` models; slots are in display order.
 *
 * Strict (`{strict: true}`): the JSON must be the whole reply, a code fence that is the whole reply, or lie between
 * the reply's first `{` and last `}`, with integer scores 0-100. Lenient (the default) also takes the first JSON
 * object of the right shape anywhere in the reply (an explanation after it, several fences, braces in the prose)
 * and scores written as strings of whole numbers ("85", "85.0"); a reply only it accepts is marked `lenient`.
 */
export function parseBatchedReply(reply: string, modelCount: number, options: ReplyParseOptions = {}): BatchedParse {
  if (reply.trim() === '') return { error: 'empty reply' };
  const strict = parseStrict(reply, modelCount);
  if ('slots' in strict || options.strict === true) return strict;
  return parseLenient(reply, modelCount);
}
