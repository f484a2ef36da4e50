// `npm run bench -- scale-batch`: the batch-API path (`judgekit judge --execution batch-api`) end to end against the
// local fake batch server (OpenAI files + batches wire format, in its own process), next to the live path for the
// same workload against the same server: N items x 5 models, single judge (one call per answer). The fake server
// completes a batch on its second poll, so the figures measure judgekit's own overhead (real providers take minutes
// to 24 h). Time split of the batch run: submitting (upload + create), polls (sleeps and retrieve requests),
// downloading the results (and writing them to the cache), finding the missing calls + bookkeeping, and the judge run
// answering every call from the cache. Same steps as the CLI: executeBatches, then JudgeRunner.run. Then both runs
// again through `judgekit judge` (a process each) for the command's own end-to-end time.
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DiskCache, executeBatches, JudgeCallRunner, JudgeRunner, loadAnswerFiles, type JudgeRunOptions, type KeyValueCache, type ModelAnswers } from '@judgekit/core';
import { OpenAiProvider, SingleJudge } from '@judgekit/judges';
import { singlePromptAnswer, startFakeBatchServer } from '@judgekit/judges/testing';
import { fmt, machineLine, writeBenchSection } from './lib/bench-doc.ts';

const ITEMS = Number(process.env.JUDGEKIT_BENCH_ITEMS ?? 1000);
const MODELS = 5;
/** `--batch-poll-ms`. */
const POLL_MS = Number(process.env.JUDGEKIT_BENCH_POLL_MS ?? 100);
/** Live calls in flight (`--concurrency`). */
const CONCURRENCY = Number(process.env.JUDGEKIT_BENCH_CONCURRENCY ?? 8);
/** `--batch-max-requests` (default: OpenAI's 50,000, so one batch). */
const MAX_REQUESTS = process.env.JUDGEKIT_BENCH_BATCH_MAX_REQUESTS ? Number(process.env.JUDGEKIT_BENCH_BATCH_MAX_REQUESTS) : undefined;
const KEY = 'sk-bench-not-a-key';

const score = (prompt: string): string => String((singlePromptAnswer(prompt) ?? '').length % 101);

if (process.env.JUDGEKIT_BENCH_BATCH_SERVER === '1') {
  // holdPolls 1: a batch answers "in progress" to its first retrieve and is completed (every request answered) on the next.
  const server = await startFakeBatchServer({ script: (request) => score(request.prompt), holdPolls: 1 });
  process.on('message', () => process.send?.({ batches: server.batches.length, live: server.liveRequests.length }));
  process.send?.(server.openaiBaseURL);
}

interface ServerCounts {
  batches: number;
  live: number;
}

async function startServerProcess(): Promise<{ url: string; counts(): Promise<ServerCounts>; close(): void }> {
  const child = spawn(process.execPath, ['--conditions=@judgekit/source', '--import', 'tsx/esm', fileURLToPath(import.meta.url)], {
    env: { ...process.env, JUDGEKIT_BENCH_BATCH_SERVER: '1' },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const url = await new Promise<string>((resolveUrl, reject) => {
    child.once('message', (message) => resolveUrl(String(message)));
    child.once('exit', (code) => reject(new Error(`fake batch server exited with ${code}`)));
  });
  return {
    url,
    counts: () => new Promise((resolveCounts) => (child.once('message', (message) => resolveCounts(message as ServerCounts)), child.send('counts'))),
    close: () => child.kill(),
  };
}

/** `judgekit judge` as its own process (from source, as the other benches start workers): wall time and stderr. */
function runCli(dir: string, name: string, files: string[], baseURL: string, extra: string[]): Promise<{ wallMs: number; stderr: string }> {
  const args = ['--conditions=@judgekit/source', '--import', 'tsx/esm', 'packages/cli/src/bin-source.ts', 'judge', '--mode', 'single', '--judge', 'openai:bench', '--concurrency', String(CONCURRENCY), '--out', join(dir, `cli-${name}`), ...extra, ...files];
  const started = performance.now();
  const child = spawn(process.execPath, args, {
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? '/tmp', CI: '1', OPENAI_API_KEY: KEY, OPENAI_BASE_URL: baseURL, JUDGEKIT_CACHE_DIR: join(dir, `cache-cli-${name}`) },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
  return new Promise((resolveRun, reject) => {
    child.once('exit', (code) => (code === 0 ? resolveRun({ wallMs: performance.now() - started, stderr }) : reject(new Error(`judgekit judge (${name}) exited with ${code}: ${stderr}`))));
  });
}

function setUp(dir: string, name: string, answers: ModelAnswers[], baseURL: string, cache: KeyValueCache) {
  const provider = new OpenAiProvider({ env: { OPENAI_API_KEY: KEY }, baseURL, ...(MAX_REQUESTS ? { batchMaxRequests: MAX_REQUESTS } : {}) });
  const calls = new JudgeCallRunner({ cache, concurrency: CONCURRENCY });
  const judge = new SingleJudge({ provider, calls, model: 'bench' });
  const run: JudgeRunOptions = { answers, judge, calls, provider, outDir: join(dir, `run-${name}`), itemsInFlight: CONCURRENCY + 2, progress: { enabled: false } };
  return { provider, calls, run };
}

function scoredOf(summary: Awaited<ReturnType<JudgeRunner['run']>>): number {
  return summary.results.models.reduce((sum, model) => sum + model.scored, 0);
}

/** Adds each call's duration to `into[name]`. */
function timed<A extends unknown[], R>(into: Record<string, number>, name: string, call: (...args: A) => Promise<R>): (...args: A) => Promise<R> {
  into[name] = 0;
  return async (...args: A) => {
    const started = performance.now();
    try {
      return await call(...args);
    } finally {
      into[name] = (into[name] ?? 0) + performance.now() - started;
    }
  };
}

export default async function bench(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'judgekit-bench-scale-batch-'));
  const server = await startServerProcess();
  try {
    const machine = await machineLine();
    const files: string[] = [];
    for (let m = 0; m < MODELS; m++) {
      const file = join(dir, `model-${m + 1}-ift-test-results.json`);
      await writeFile(file, JSON.stringify(Array.from({ length: ITEMS }, (_, i) => ({ instruction: `Task ${i}: say something about ${i}.`, input: '', output: `out ${i}`, model_response: `model ${m} answer ${i} `.repeat(1 + ((i + m) % 7)) }))));
      files.push(file);
    }
    const answers = await loadAnswerFiles(files);
    const total = ITEMS * MODELS;
    console.log(`${ITEMS} items x ${MODELS} models, single judge: ${total} calls against the local fake batch server (it completes a batch on its second poll: the figures are judgekit's own overhead; real providers take minutes to 24 h)`);

    // Live: every call a chat completion, CONCURRENCY in flight, answered at once by the same server.
    const live = setUp(dir, 'live', answers, server.url, new DiskCache(join(dir, 'cache-live')));
    const liveBefore = await server.counts();
    const liveStarted = performance.now();
    const liveSummary = await new JudgeRunner().run(live.run);
    const liveMs = performance.now() - liveStarted;
    const liveRequests = (await server.counts()).live - liveBefore.live;
    if (scoredOf(liveSummary) !== total) throw new Error(`live: ${scoredOf(liveSummary)} of ${total} answers scored`);
    console.log(JSON.stringify({ way: 'live', wallMs: Math.round(liveMs), requests: liveRequests }));

    // Batch API: the CLI's `--execution batch-api` steps, with each provider call, sleep and cache write timed.
    const spent: Record<string, number> = {};
    const disk = new DiskCache(join(dir, 'cache-batch'));
    const cache: KeyValueCache = { get: (key) => disk.get(key), set: timed(spent, 'cacheSet', (key: string, value: unknown) => disk.set(key, value)) };
    const batch = setUp(dir, 'batch', answers, server.url, cache);
    const api = batch.provider.batch;
    api.submit = timed(spent, 'submit', api.submit.bind(api));
    api.retrieve = timed(spent, 'retrieve', api.retrieve.bind(api));
    api.results = timed(spent, 'results', api.results.bind(api));
    let retrievals = 0;
    const retrieve = api.retrieve;
    api.retrieve = (id) => (retrievals++, retrieve(id));
    const sleep = timed(spent, 'sleep', (ms: number) => new Promise<void>((resolveSleep) => setTimeout(resolveSleep, ms)));
    const batchBefore = await server.counts();
    const started = performance.now();
    const sent = await executeBatches({ run: batch.run, cache, pollMs: POLL_MS, sleep, ...(MAX_REQUESTS ? { limits: { maxRequests: MAX_REQUESTS } } : {}) });
    const sentMs = performance.now() - started;
    const requestsBefore = batch.calls.stats.requests;
    const judgeStarted = performance.now();
    const batchSummary = await new JudgeRunner().run(batch.run);
    const judgeMs = performance.now() - judgeStarted;
    const batchMs = performance.now() - started;
    const after = await server.counts();
    if (scoredOf(batchSummary) !== total) throw new Error(`batch-api: ${scoredOf(batchSummary)} of ${total} answers scored`);
    if (sent.succeeded !== total || sent.leftForLive !== 0) throw new Error(`batch-api: ${sent.succeeded} of ${total} requests answered in batches, ${sent.leftForLive} left for live calls`);
    if (batch.calls.stats.requests !== requestsBefore || after.live !== batchBefore.live) throw new Error('batch-api: the judge run made live calls');
    const s = (name: string): number => spent[name] ?? 0;
    const downloadMs = s('results') + s('cacheSet');
    const collectMs = sentMs - s('submit') - s('retrieve') - s('sleep') - downloadMs;
    const split = { submitMs: s('submit'), pollSleepMs: s('sleep'), pollRetrieveMs: s('retrieve'), downloadMs, resultsMs: s('results'), cacheWriteMs: s('cacheSet'), collectMs, judgeFromCacheMs: judgeMs };
    console.log(JSON.stringify({ way: 'batch-api', wallMs: Math.round(batchMs), batches: sent.batches, serverBatches: after.batches - batchBefore.batches, rounds: sent.rounds, retrievals, ...Object.fromEntries(Object.entries(split).map(([key, value]) => [key, Math.round(value)])) }));

    // The same two runs through the CLI, each a fresh process (its start-up, loading the sources, is in the wall).
    const cliLive = await runCli(dir, 'live', files, server.url, []);
    const cliBatch = await runCli(dir, 'batch', files, server.url, ['--execution', 'batch-api', '--batch-poll-ms', String(POLL_MS), ...(MAX_REQUESTS ? ['--batch-max-requests', String(MAX_REQUESTS)] : [])]);
    const cliBatches = /provider batches: (\d+) \(\d+ submitted now\) in (\d+) round/.exec(cliBatch.stderr);
    if (!cliBatches) throw new Error(`judgekit judge --execution batch-api: no "provider batches" line in its stderr: ${cliBatch.stderr}`);
    console.log(JSON.stringify({ way: 'cli live', wallMs: Math.round(cliLive.wallMs) }), JSON.stringify({ way: 'cli batch-api', wallMs: Math.round(cliBatch.wallMs), batches: Number(cliBatches[1]), rounds: Number(cliBatches[2]) }));

    const sec = (ms: number): string => `${fmt(ms / 1000, 2)} s`;
    const pct = (ms: number): string => `${fmt((100 * ms) / batchMs)}%`;
    const table = [
      '| way | wall | calls/s | batches | rounds | polls (retrieve requests) |',
      '| --- | ---: | ---: | ---: | ---: | ---: |',
      `| live, --concurrency ${CONCURRENCY} | ${sec(liveMs)} | ${fmt(total / (liveMs / 1000))} | - | - | - |`,
      `| --execution batch-api --batch-poll-ms ${POLL_MS} | ${sec(batchMs)} | ${fmt(total / (batchMs / 1000))} | ${sent.batches} | ${sent.rounds} | ${retrievals} |`,
      `| \`judgekit judge --concurrency ${CONCURRENCY}\` (a process: start-up in the wall) | ${sec(cliLive.wallMs)} | ${fmt(total / (cliLive.wallMs / 1000))} | - | - | - |`,
      `| \`judgekit judge --execution batch-api --batch-poll-ms ${POLL_MS}\` (a process) | ${sec(cliBatch.wallMs)} | ${fmt(total / (cliBatch.wallMs / 1000))} | ${cliBatches[1]} | ${cliBatches[2]} | - |`,
    ].join('\n');
    const splitTable = [
      '| batch-api step | time | share |',
      '| --- | ---: | ---: |',
      `| submit: upload the JSONL input file + create the batch | ${sec(split.submitMs)} | ${pct(split.submitMs)} |`,
      `| waiting on polls: sleeps of ${POLL_MS} ms | ${sec(split.pollSleepMs)} | ${pct(split.pollSleepMs)} |`,
      `| waiting on polls: retrieve requests (the last one is when the fake server processes the batch) | ${sec(split.pollRetrieveMs)} | ${pct(split.pollRetrieveMs)} |`,
      `| download: output file read and parsed | ${sec(split.resultsMs)} | ${pct(split.resultsMs)} |`,
      `| download: replies written to the call cache | ${sec(split.cacheWriteMs)} | ${pct(split.cacheWriteMs)} |`,
      `| finding the missing calls (judge passes answering from the cache, ${sent.rounds + 1}) + batches.json and spend.jsonl | ${sec(split.collectMs)} | ${pct(split.collectMs)} |`,
      `| judge run answering every call from the cache (run directory, annotated files) | ${sec(split.judgeFromCacheMs)} | ${pct(split.judgeFromCacheMs)} |`,
    ].join('\n');
    console.log(`\n${table}\n\n${splitTable}\n`);
    if (process.argv.includes('--no-write')) return;
    await writeBenchSection(
      'scale-batch',
      [
        '### bench:scale-batch: the batch-API path end to end against the local batch server',
        '',
        `\`npm run bench -- scale-batch\`: ${ITEMS} items x ${MODELS} models with the single judge (${total} calls through the real OpenAI SDK) against the local fake batch server (\`startFakeBatchServer\`, OpenAI files + batches format) in its own process, once live (\`--concurrency ${CONCURRENCY}\`, chat completions answered at once) and once as \`--execution batch-api --batch-poll-ms ${POLL_MS}\` (the CLI's steps: \`executeBatches\`, then \`JudgeRunner.run\` answering from the cache), each with an empty cache. The first two rows run in the bench process (the split below is of the second); the last two are the same runs through \`judgekit judge\` as a fresh process each (loading the sources from TypeScript at start-up is in their wall). ${machine}.`,
        '',
        `**The local server completes a batch at once** (it answers "in progress" to the first poll and completes the batch, running every request, on the second); real providers take minutes to 24 h. So the figures measure judgekit's own overhead on the batch path, not how long a batch takes.`,
        '',
        table,
        '',
        splitTable,
        '',
        `The batch run's wall is ${fmt(batchMs / liveMs, 2)}x the live run's against a server that answers at once (live, each call is its own HTTP round trip, ${CONCURRENCY} at a time; a batch is one upload and one download); against a real provider the wait for the batch (minutes to hours) dominates, and these ${sec(batchMs - split.pollSleepMs)} of judgekit's own time (all but the sleeps) are small beside it. Writing the replies to the call cache is one atomic file write per reply (${total} files), so it follows the disk's load. Rounds: ${sent.rounds} (every call answered in the first; one more judge pass then finds nothing missing).`,
        '',
      ].join('\n'),
    );
  } finally {
    server.close();
    await rm(dir, { recursive: true, force: true });
  }
}
