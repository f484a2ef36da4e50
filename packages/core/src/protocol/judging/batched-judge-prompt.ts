// The study's batched comparative prompt, the JSON Schema of its reply, and the reply parser. Models are
// shown only as "Model 1..N"; the caller maps slots back to models.
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import { fenced } from './text-fence.js';
import { quoteReply } from './single-judge-prompt.js';

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

export type BatchedParse = { slots: SlotScore[] } | { error: string };

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

/** The JSON text inside a reply: as is, inside a code fence, or between the first `{` and the last `}`. */
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

/** Parse and validate a batched judge reply for `modelCount` models; slots are in display order. */
export function parseBatchedReply(reply: string, modelCount: number): BatchedParse {
  if (reply.trim() === '') return { error: 'empty reply' };
  let value: unknown;
  try {
    value = JSON.parse(extractJsonText(reply));
  } catch {
    return { error: `reply is not JSON: ${quoteReply(reply.trim())}` };
  }
  const validate = validatorFor(modelCount);
  if (!validate(value)) return { error: `invalid reply: ${describeErrors(validate.errors)}` };
  const object = value as Record<string, { score: number; comments?: string }>;
  return {
    slots: Array.from({ length: modelCount }, (_, slot) => {
      const entry = object[modelLabel(slot)] as { score: number; comments?: string };
      return entry.comments === undefined ? { score: entry.score } : { score: entry.score, comments: entry.comments };
    }),
  };
}
