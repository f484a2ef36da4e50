// `npm run bench -- ratelimit`: judging against a local OpenAI-compatible server that enforces a requests-per-minute
// limit the way providers do (a token bucket of a second's worth, 429 with Retry-After and retry-after-ms) and
// answers in about 100 ms. N single-judge calls, each way: the adaptive limiter told the endpoint's rpm; the
// adaptive limiter alone (it learns from the 429s); and a fixed concurrency at the same peak (judgekit without
// limits), with the default retries and with enough to finish every call. Figures: finishing time against the
// ideal N / rpm, the 429s the server sent, and failed calls.
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { AdaptiveLimiter, DiskCache, JudgeCallRunner, JudgeRunner, loadAnswerFiles, type RateLimits } from '@judgekit/core';
import { OpenAiProvider, SingleJudge } from '@judgekit/judges';
import { rateLimitedScript, singlePromptAnswer, startFakeLlmServer } from '@judgekit/judges/testing';
import { fmt, machineLine, writeBenchSection } from './lib/bench-doc.ts';

const RPM = Number(process.env.JUDGEKIT_BENCH_RPM ?? 600);
const LATENCY_MS = Number(process.env.JUDGEKIT_BENCH_LATENCY_MS ?? 100);
const ITEMS = Number(process.env.JUDGEKIT_BENCH_ITEMS ?? 400);
/** The peak: the adaptive limit's ceiling and the fixed concurrency. */
const PEAK = 16;

// Run as the server process, so its CPU time is not the client's.
if (process.env.JUDGEKIT_BENCH_RATELIMIT_SERVER === '1') {
  const limited = rateLimitedScript((request) => ({ delayMs: LATENCY_MS, text: String((singlePromptAnswer(request.prompt) ?? '').length % 101) }), { requestsPerMinute: RPM });
  const server = await startFakeLlmServer(limited.script);
  process.on('message', () => process.send?.({ served: limited.served, rejected: limited.rejected }));
  process.send?.(server.openaiBaseURL);
}

interface ServerProcess {
  url: string;
  counts(): Promise<{ served: number; rejected: number }>;
  close(): void;
}

async function startServerProcess(): Promise<ServerProcess> {
  const child = spawn(process.execPath, ['--conditions=@judgekit/source', '--import', 'tsx/esm', fileURLToPath(import.meta.url)], {
    env: { ...process.env, JUDGEKIT_BENCH_RATELIMIT_SERVER: '1' },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const url = await new Promise<string>((resolve, reject) => {
    child.once('message', (message) => resolve(String(message)));
    child.once('exit', (code) => reject(new Error(`fake server exited with ${code}`)));
  });
  return {
    url,
    counts: () =>
      new Promise((resolve) => {
        child.once('message', (message) => resolve(message as { served: number; rejected: number }));
        child.send('count');
      }),
    close: () => child.kill(),
  };
}

interface Row {
  name: string;
  wallMs: number;
  served: number;
  rejected: number;
  failed: number;
  scored: number;
  finalLimit: string;
}

async function measure(dir: string, file: string, name: string, limits: RateLimits | undefined, transportRetries?: number): Promise<Row> {
  // A fresh server per way: its bucket starts full each time.
  const server = await startServerProcess();
  try {
    const answers = await loadAnswerFiles([file]);
    const provider = new OpenAiProvider({ env: { OPENAI_API_KEY: 'sk-bench-not-a-key' }, baseURL: server.url });
    const limiter = limits ? new AdaptiveLimiter({ ...limits, maxInFlight: PEAK }) : undefined;
    const calls = new JudgeCallRunner({ cache: new DiskCache(join(dir, `cache-${name.replace(/\W+/g, '-')}`)), concurrency: PEAK, ...(limiter ? { limiter } : {}), ...(transportRetries !== undefined ? { transportRetries } : {}) });
    const judge = new SingleJudge({ provider, calls, model: 'bench' });
    const started = performance.now();
    const summary = await new JudgeRunner().run({ answers, judge, calls, outDir: join(dir, `run-${name.replace(/\W+/g, '-')}`), itemsInFlight: PEAK + 2, progress: { enabled: false } });
    const wallMs = performance.now() - started;
    const counts = await server.counts();
    const row = { name, wallMs, ...counts, failed: calls.stats.failedCalls, scored: summary.results.models[0]?.scored ?? 0, finalLimit: limiter ? `${limiter.limit}/${PEAK}` : `${PEAK} (fixed)` };
    console.log(JSON.stringify({ ...row, wallMs: Math.round(wallMs) }));
    return row;
  } finally {
    server.close();
  }
}

const count429 = (n: number): string => `${n} 429${n === 1 ? '' : 's'}`;

/** What the table does not say by itself. */
function notes(rows: readonly Row[], idealMs: number): string {
  const burst = Math.max(1, RPM / 60);
  const floorMs = ((ITEMS - burst) / RPM) * 60_000 + LATENCY_MS;
  const [withRpm, alone, fixed, fixedRetries] = rows;
  return [
    `A wall below the ideal is the server's bucket starting full: its first ${burst} requests pass at once, so ${fmt(floorMs / 1000)} s is the floor.`,
    withRpm && alone ? `Adaptive: ${fmt(withRpm.wallMs / idealMs, 2)}x of the ideal with the rpm given (${count429(withRpm.rejected)}), ${fmt(alone.wallMs / idealMs, 2)}x with only the in-flight cap (${count429(alone.rejected)}, the limiter learning the server's rate from them).` : '',
    fixed
      ? `Fixed concurrency draws ${count429(fixed.rejected)}${fixed.failed > 0 ? `; with the default retries ${fixed.failed} calls run out of them and fail, which is why it "finishes" early with ${fixed.scored} of ${ITEMS} items scored` : ''}.`
      : '',
    fixedRetries ? `With enough retries to finish, it takes ${fmt(fixedRetries.wallMs / idealMs, 2)}x the ideal (${fixedRetries.rejected} 429s): its backoffs leave the limit unused.` : '',
  ]
    .filter(Boolean)
    .join(' ');
}

export default async function bench(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'judgekit-bench-ratelimit-'));
  try {
    const machine = await machineLine();
    const file = join(dir, 'bench-ift-test-results.json');
    await writeFile(file, JSON.stringify(Array.from({ length: ITEMS }, (_, i) => ({ instruction: `Task ${i}: say something about ${i}.`, input: '', output: `out ${i}`, model_response: `answer ${i} `.repeat(1 + (i % 7)) }))));
    const idealMs = (ITEMS / RPM) * 60_000;
    console.log(`${ITEMS} single-judge calls; server: ${RPM} requests/minute (burst ${Math.max(1, RPM / 60)}), ${LATENCY_MS} ms per reply; peak ${PEAK} in flight; ideal ${fmt(idealMs / 1000)} s`);
    const rows = [
      await measure(dir, file, `adaptive, --rpm ${RPM} --max-in-flight ${PEAK}`, { requestsPerMinute: RPM }),
      await measure(dir, file, `adaptive, --max-in-flight ${PEAK} (rpm not given)`, {}),
      await measure(dir, file, `fixed, --concurrency ${PEAK} (no limits)`, undefined),
      // Enough retries that fixed concurrency finishes every call too, for a like-for-like finishing time.
      await measure(dir, file, `fixed, --concurrency ${PEAK} --http-retries 12`, undefined, 12),
    ];
    const table = [
      '| way | wall | wall / ideal | 429s from the server | requests | failed calls | items scored | limit at the end |',
      '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
      ...rows.map((row) => `| ${row.name} | ${fmt(row.wallMs / 1000)} s | ${fmt(row.wallMs / idealMs, 3)}x | ${row.rejected} | ${row.served + row.rejected} | ${row.failed} | ${row.scored}/${ITEMS} | ${row.finalLimit} |`),
    ].join('\n');
    console.log(`\n${table}\n`);
    await writeBenchSection(
      'ratelimit',
      [
        '### bench:ratelimit: adaptive concurrency against a requests-per-minute limit',
        '',
        `\`npm run bench -- ratelimit\`: ${ITEMS} single-judge calls through the real OpenAI SDK against the local fake server in its own process, which enforces ${RPM} requests/minute as a token bucket of a second's worth (${Math.max(1, RPM / 60)} requests), answers ${LATENCY_MS} ms after a request, and refuses a request over the limit at once with 429, \`Retry-After\` and \`retry-after-ms\`. Ideal: ${ITEMS} / ${RPM} per minute = ${fmt(idealMs / 1000)} s. Retries: the default 4 per call (backoff from 0.5 s doubling, capped at 60 s, at least Retry-After), except the last row. ${machine}.`,
        '',
        table,
        '',
        notes(rows, idealMs),
        '',
      ].join('\n'),
    );
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
