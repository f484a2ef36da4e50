// The Alpaca prompt formats as data. The book writes `### Input:`; one of the study's scripts writes `### Input`
// (no colon). They tokenize differently, so both are named templates and a run records which one it used.
import { JudgekitError } from '../errors.js';
import type { AlpacaRecord } from '../contracts/records.js';
import type { PromptTemplate } from '../contracts/instruction-dataset.js';

/**
 * A template as text with placeholders `{instruction}`, `{input}` and `{output}`.
 * - `prompt`: what the model sees; must contain `{instruction}`.
 * - `input`: appended to the prompt only when the record's input is non-empty; must contain `{input}`.
 * - `response`: appended to the prompt for training text; must contain `{output}`. The text before `{output}`,
 *   trimmed, is the response header that answer extraction strips.
 */
export interface PromptTemplateText {
  name: string;
  prompt: string;
  input: string;
  response: string;
}

/** A custom template as a config file gives it (schema `dataset.template`): `name` and `response` may be left out. */
export interface CustomPromptTemplate {
  /** Default `custom`. */
  name?: string;
  prompt: string;
  input: string;
  /** Default the book's `\n\n### Response:\n{output}`. */
  response?: string;
}

const PREAMBLE = 'Below is an instruction that describes a task. Write a response that appropriately completes the request.';

export const PROMPT_TEMPLATES = {
  book: {
    name: 'book',
    prompt: `${PREAMBLE}\n\n### Instruction:\n{instruction}`,
    input: '\n\n### Input:\n{input}',
    response: '\n\n### Response:\n{output}',
  },
  study: {
    name: 'study',
    prompt: `${PREAMBLE}\n\n### Instruction:\n{instruction}`,
    input: '\n\n### Input\n{input}',
    response: '\n\n### Response:\n{output}',
  },
} as const satisfies Record<string, PromptTemplateText>;

export type BuiltInTemplateName = keyof typeof PROMPT_TEMPLATES;

/** A resolved template: its text plus the core `PromptTemplate` methods. */
export interface AlpacaPromptTemplate extends PromptTemplateText, PromptTemplate {
  readonly name: string;
  /** The response header, e.g. `### Response:`. */
  readonly responseHeader: string;
}

export type PromptTemplateRef = string | CustomPromptTemplate | PromptTemplateText | AlpacaPromptTemplate;

const PLACEHOLDER = /\{(instruction|input|output)\}/g;

/** One pass over the template, so braces inside the record's own text are never substituted again. */
function fill(template: string, values: Partial<Record<'instruction' | 'input' | 'output', string>>): string {
  return template.replace(PLACEHOLDER, (whole, key: 'instruction' | 'input' | 'output') => values[key] ?? whole);
}

function requirePlaceholder(text: PromptTemplateText, part: 'prompt' | 'input' | 'response', placeholder: string): void {
  if (typeof text[part] !== 'string' || !text[part].includes(placeholder)) {
    throw new JudgekitError(
      'config',
      `Prompt template "${String(text.name)}": its \`${part}\` text must be a string containing ${placeholder}.`,
      { location: `template ${String(text.name)}, field ${part}` },
    );
  }
}

const resolved = new WeakMap<object, AlpacaPromptTemplate>();

function build(given: CustomPromptTemplate): AlpacaPromptTemplate {
  if (given.name !== undefined && (typeof given.name !== 'string' || given.name === '')) {
    throw new JudgekitError('config', 'A custom prompt template\'s `name` must be a non-empty string (or left out).');
  }
  const text: PromptTemplateText = {
    name: given.name ?? 'custom',
    prompt: given.prompt,
    input: given.input,
    response: given.response ?? PROMPT_TEMPLATES.book.response,
  };
  requirePlaceholder(text, 'prompt', '{instruction}');
  requirePlaceholder(text, 'input', '{input}');
  requirePlaceholder(text, 'response', '{output}');
  const header = text.response.slice(0, text.response.indexOf('{output}')).trim();
  const template: AlpacaPromptTemplate = {
    name: text.name,
    prompt: text.prompt,
    input: text.input,
    response: text.response,
    responseHeader: header,
    formatPrompt: (record) =>
      fill(text.prompt, { instruction: record.instruction }) + (record.input ? fill(text.input, { input: record.input }) : ''),
    formatTraining: (record) => template.formatPrompt(record) + fill(text.response, { output: record.output }),
  };
  Object.freeze(template);
  // A resolved template passed back in resolves to itself.
  resolved.set(template, template);
  return template;
}

const BUILT_IN: Record<string, AlpacaPromptTemplate> = Object.fromEntries(
  Object.entries(PROMPT_TEMPLATES).map(([name, text]) => [name, build(text)]),
);

export function promptTemplateNames(): string[] {
  return Object.keys(BUILT_IN);
}

/** A built-in template by name, or a custom one (validated) from its text. */
export function getPromptTemplate(ref: PromptTemplateRef = 'book'): AlpacaPromptTemplate {
  if (typeof ref === 'string') {
    const found = BUILT_IN[ref];
    if (found) return found;
    throw new JudgekitError(
      'config',
      `Unknown prompt template "${ref}". Should be one of: ${promptTemplateNames().join(', ')}; or give a custom template { name, prompt, input, response }.`,
    );
  }
  if (typeof ref !== 'object' || ref === null) {
    throw new JudgekitError('config', `A prompt template must be a name (${promptTemplateNames().join(', ')}) or an object { name, prompt, input, response }.`);
  }
  let template = resolved.get(ref);
  if (!template) {
    template = build(ref);
    resolved.set(ref, template);
  }
  return template;
}

/** The prompt a model is given: preamble and instruction, plus the input block when `input` is not empty. */
export function formatAlpacaPrompt(record: Pick<AlpacaRecord, 'instruction' | 'input'>, template: PromptTemplateRef = 'book'): string {
  return getPromptTemplate(template).formatPrompt(record);
}

/** The fine-tuning text: the prompt plus `\n\n### Response:\n{output}`. */
export function formatTrainingText(record: AlpacaRecord, template: PromptTemplateRef = 'book'): string {
  return getPromptTemplate(template).formatTraining(record);
}

/** The header that starts a response (`### Response:` for both built-ins); answer extraction removes it. */
export function responseHeader(template: PromptTemplateRef = 'book'): string {
  return getPromptTemplate(template).responseHeader;
}
