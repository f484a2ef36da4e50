// Remove secrets from text before it is written to a file, a log or the terminal: API keys of known shapes,
// the values of this process's key-like environment variables, secret URL query parameters (signed URLs) and
// URL user info. Applied where provider errors become messages, where run.json, run.log and the dataset cache
// record URLs, and where the CLI prints errors.

/** What a secret is replaced with. */
export const REDACTED = 'REDACTED';

/** Environment variables whose values are secrets: `*_API_KEY`, `*_TOKEN`, `*SECRET*`, `*PASSWORD*`, `*_KEY`. */
export function isSecretEnvName(name: string): boolean {
  return /(^|_)(API_?KEY|KEY|TOKEN|ACCESS_?KEY(_ID)?)$|SECRET|PASSWORD|PASSWD|CREDENTIAL/i.test(name);
}

/**
 * Query parameters that carry credentials: keys, tokens, signatures (S3 `X-Amz-*`, GCS `X-Goog-*`, Azure SAS
 * `sig`, CloudFront `Signature`/`Key-Pair-Id`/`Policy`).
 */
export function isSecretQueryParam(name: string): boolean {
  const lower = name.toLowerCase();
  if (lower.startsWith('x-amz-') || lower.startsWith('x-goog-')) return true;
  return /^(key|api[-_]?key|apikey|access[-_]?key(id)?|awsaccesskeyid|key-pair-id|policy|sig|signature|secret|client[-_]?secret|password|passwd|pwd|auth|authorization|code|credential|credentials|session|sessionid|session[-_]?token|security[-_]?token|token|access[-_]?token|refresh[-_]?token|id[-_]?token|jwt)$|(token|secret|signature|password|[-_]key)$/.test(lower);
}

/** Environment values shorter than this are not scrubbed (`1`, `true`, a port): too common to be secrets. */
const MIN_ENV_SECRET_LENGTH = 8;

/** API keys recognisable by their shape alone. */
const KEY_SHAPES: readonly RegExp[] = [
  /\bsk-(?:ant-|proj-|svcacct-|or-)?[A-Za-z0-9_-]{12,}/g, // OpenAI, Anthropic, OpenRouter
  /\bAKIA[0-9A-Z]{16}\b/g, // AWS access key id
  /\bAIza[0-9A-Za-z_-]{30,}/g, // Google API key
  /\bhf_[A-Za-z0-9]{20,}/g, // Hugging Face
  /\bgh[pousr]_[A-Za-z0-9]{20,}/g, // GitHub
  /\bxox[abpr]-[A-Za-z0-9-]{10,}/g, // Slack
];

/** The secret values of an environment, longest first (so a key that contains another is removed whole). */
export function environmentSecrets(env: NodeJS.ProcessEnv = process.env): string[] {
  const values = new Set<string>();
  for (const [name, value] of Object.entries(env)) {
    if (value === undefined || value.length < MIN_ENV_SECRET_LENGTH || !isSecretEnvName(name)) continue;
    values.add(value);
    // As it appears in a Basic auth header or a base64 dump.
    values.add(Buffer.from(value).toString('base64').replace(/=+$/, ''));
    // As it appears in a URL.
    const encoded = encodeURIComponent(value);
    if (encoded !== value) values.add(encoded);
  }
  return [...values].sort((a, b) => b.length - a.length);
}

function scrubQuery(query: string): string {
  return query.replace(/(&amp;|[?&;])([^=&;#\s"'<>]+)=([^&;#\s"'<>]*)/g, (whole, sep: string, name: string, value: string) => {
    let decoded = name;
    try {
      decoded = decodeURIComponent(name);
    } catch {
      // keep the raw name
    }
    return isSecretQueryParam(decoded) && value !== '' ? `${sep}${name}=${REDACTED}` : whole;
  });
}

/** A URL fit for a record or a log: no user info, no secret query parameter values. Not a URL: scrubbed as text. */
export function scrubUrl(url: string): string {
  return scrubSecrets(url);
}

export interface ScrubOptions {
  /** Whose key-like variables' values are removed. Default `process.env`. */
  env?: NodeJS.ProcessEnv;
  /** More values to remove, e.g. the key a provider was given (which need not come from `process.env`). */
  secrets?: readonly string[];
}

/** The literal values to remove: the given ones and the environment's, longest first. */
function literalSecrets(options: ScrubOptions): string[] {
  const given = (options.secrets ?? []).filter((secret) => secret.length >= MIN_ENV_SECRET_LENGTH);
  const fromEnv = environmentSecrets(options.env ?? process.env);
  return given.length === 0 ? fromEnv : [...new Set([...given, ...fromEnv])].sort((a, b) => b.length - a.length);
}

function scrubWith(text: string, literals: readonly string[]): string {
  if (text === '') return text;
  let out = text;
  for (const secret of literals) if (out.includes(secret)) out = out.split(secret).join(REDACTED);
  for (const shape of KEY_SHAPES) out = out.replace(shape, REDACTED);
  // Authorization headers and key fields as they appear in dumps: `Bearer x`, `x-api-key: x`, `"api_key": "x"`.
  out = out.replace(/\b([Bb]earer)(\s+)(?!REDACTED)[A-Za-z0-9._~+/=-]{8,}/g, `$1$2${REDACTED}`);
  out = out.replace(/\b((?:x-)?api[-_]?key|x-goog-api-key|authorization)(["']?\s*[:=]\s*["']?)(?!REDACTED\b|[Bb]earer\b|Basic\b)[^\s"',;&]{6,}/gi, `$1$2${REDACTED}`);
  // URL user info: scheme://user:pass@host or scheme://token@host.
  out = out.replace(/\b([a-z][a-z0-9+.-]*:\/\/)[^\s/?#@"'<>]+@/gi, `$1${REDACTED}@`);
  // Secret query parameters, wherever a query string appears.
  out = out.replace(/\?[^\s"'<>#]*/g, (query) => scrubQuery(query));
  return out;
}

/** `text` with every recognisable secret replaced by `REDACTED`. */
export function scrubSecrets(text: string, options: ScrubOptions = {}): string {
  return text === '' ? text : scrubWith(text, literalSecrets(options));
}

/** A deep copy of a JSON-like value with every string scrubbed (object keys kept). */
export function scrubSecretsDeep<T>(value: T, options: ScrubOptions = {}): T {
  const literals = literalSecrets(options);
  const walk = (node: unknown): unknown => {
    if (typeof node === 'string') return scrubWith(node, literals);
    if (Array.isArray(node)) return node.map(walk);
    if (node !== null && typeof node === 'object') {
      const prototype = Object.getPrototypeOf(node) as unknown;
      if (prototype === Object.prototype || prototype === null) return Object.fromEntries(Object.entries(node).map(([key, entry]) => [key, walk(entry)]));
    }
    return node;
  };
  return walk(value) as T;
}
