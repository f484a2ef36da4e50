// Typed errors: every failure carries a `kind` a program can switch on and a message that says what to do next.

export type JudgekitErrorKind =
  | 'config'
  | 'input'
  | 'dataset'
  | 'checksum'
  | 'download'
  | 'plugin'
  | 'provider'
  | 'judge-reply'
  | 'model'
  | 'device'
  | 'run-store'
  | 'usage'
  | 'internal';

const BRAND = Symbol.for('@judgekit/core/JudgekitError');

export interface JudgekitErrorOptions {
  /** File the problem was found in, when there is one. */
  file?: string;
  /** Where in the file: a record index, a JSON pointer, a line number. */
  location?: string;
  cause?: unknown;
}

export class JudgekitError extends Error {
  readonly [BRAND] = true;
  readonly kind: JudgekitErrorKind;
  readonly file: string | undefined;
  readonly location: string | undefined;

  constructor(kind: JudgekitErrorKind, message: string, options: JudgekitErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'JudgekitError';
    this.kind = kind;
    this.file = options.file;
    this.location = options.location;
  }

  static is(value: unknown, kind?: JudgekitErrorKind): value is JudgekitError {
    return (
      typeof value === 'object' &&
      value !== null &&
      (value as Record<symbol, unknown>)[BRAND] === true &&
      (kind === undefined || (value as JudgekitError).kind === kind)
    );
  }
}
