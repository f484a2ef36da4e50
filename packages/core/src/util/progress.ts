// Progress for long work: items done, rate and ETA on one rewritten line when stderr is a terminal;
// silent in CI logs and pipes.

export interface ProgressOptions {
  label: string;
  total: number;
  stream?: NodeJS.WriteStream;
  /** Force on or off; by default on only for a TTY outside CI. */
  enabled?: boolean;
  unit?: string;
  /** Appended to the line when it returns text, e.g. the judge calls' current rate limit (`limit 6/16`). */
  status?: () => string | undefined;
}

export class Progress {
  readonly #label: string;
  readonly #total: number;
  readonly #stream: NodeJS.WriteStream;
  readonly #enabled: boolean;
  readonly #unit: string;
  readonly #status: (() => string | undefined) | undefined;
  readonly #started = Date.now();
  #done = 0;
  #lastDraw = 0;

  constructor(options: ProgressOptions) {
    this.#label = options.label;
    this.#total = options.total;
    this.#stream = options.stream ?? process.stderr;
    this.#unit = options.unit ?? 'items';
    this.#status = options.status;
    this.#enabled = options.enabled ?? (Boolean(this.#stream.isTTY) && !process.env.CI);
  }

  get done(): number {
    return this.#done;
  }

  tick(count = 1): void {
    this.#done += count;
    const now = Date.now();
    if (this.#enabled && (now - this.#lastDraw > 100 || this.#done >= this.#total)) {
      this.#lastDraw = now;
      const status = this.#status?.();
      this.#stream.write(`\r\x1b[2K${formatProgress(this.#label, this.#done, this.#total, now - this.#started, this.#unit)}${status ? ` | ${status}` : ''}`);
    }
  }

  finish(): void {
    if (this.#enabled) this.#stream.write('\n');
  }
}

export function formatProgress(label: string, done: number, total: number, elapsedMs: number, unit = 'items'): string {
  const seconds = elapsedMs / 1000;
  const rate = seconds > 0 ? done / seconds : 0;
  const remaining = rate > 0 ? (total - done) / rate : Number.NaN;
  const eta = Number.isFinite(remaining) ? formatDuration(remaining) : '?';
  return `${label} ${done}/${total} ${unit} | ${rate.toFixed(rate < 10 ? 2 : 1)}/s | ETA ${eta}`;
}

export function formatDuration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}
