// `npm run bench -- scale`: judging spread over `judgekit worker` processes on BullMQ + Redis. N items x 5 models with
// the single judge (one call per answer) against a local OpenAI-compatible server (its own process) that answers in
// 100 ms, each worker limited to the same calls in flight: in-process (no queue), 1 worker, 3 workers. The server's
// latency dominates, so the 2 cores do not cap the speedup. Figures: wall time, speedup of 3 workers over 1, and the
// coordinator's overhead per unit (its CPU time, and its time waiting on Redis to enqueue and read back units).
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DiskCache, JudgeCallRunner, JudgeRunner, loadAnswerFiles, type Judge, type ModelAnswers } from '@judgekit/core';
import { OpenAiProvider, SingleJudge } from '@judgekit/judges';
import { singlePromptAnswer, startFakeLlmServer } from '@judgekit/judges/testing';
import { JudgeQueueCoordinator } from '@judgekit/queue';
import { startRedisServer } from '@judgekit/queue/testing';
import { fmt, machineLine, writeBenchSection } from './lib/bench-doc.ts';

const ITEMS = Number(process.env.JUDGEKIT_BENCH_ITEMS ?? 1000);
const MODELS = 5;
const LATENCY_MS = Number(process.env.JUDGEKIT_BENCH_LATENCY_MS ?? 100);
/** Judge calls in flight per worker (and in-process). */
const PER_WORKER = Number(process.env.JUDGEKIT_BENCH_PER_WORKER ?? 8);
const UNIT_SIZE = Number(process.env.JUDGEKIT_BENCH_UNIT_SIZE ?? 10);
const KEY = 'sk-bench-not-a-key';

if (process.env.JUDGEKIT_BENCH_SCALE_SERVER === '1') {
  const server = await startFakeLlmServer((request) => ({ delayMs: LATENCY_MS, text: String((singlePromptAnswer(request.prompt) ?? '').length % 101) }));
  process.on('message', () => process.send?.(server.requests.length));
  process.send?.(server.openaiBaseURL);
}

async function startServerProcess(): Promise<{ url: string; requests(): Promise<number>; close(): void }> {
  const child = spawn(process.execPath, ['--conditions=@judgekit/source', '--import', 'tsx/esm', fileURLToPath(import.meta.url)], {
    env: { ...process.env, JUDGEKIT_BENCH_SCALE_SERVER: '1' },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const url = await new Promise<string>((resolveUrl, reject) => {
    child.once('message', (message) => resolveUrl(String(message)));
    child.once('exit', (code) => reject(new Error(`fake server exited with ${code}`)));
  });
  return {
    url,
    requests: () => new Promise((resolveCount) => (child.once('message', (message) => resolveCount(Number(message))), child.send('count'))),
    close: () => child.kill(),
  };
}

function startWorker(queueUrl: string): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['--conditions=@judgekit/source', '--import', 'tsx/esm', 'packages/cli/src/bin-source.ts', 'worker', '--queue', queueUrl, '--concurrency', String(PER_WORKER)], {
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? '/tmp', CI: '1', OPENAI_API_KEY: KEY },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  return new Promise((resolveReady, reject) => {
    let log = '';
    child.stderr?.on('data', (chunk: Buffer) => {
      log += chunk.toString('utf8');
      if (/judgekit worker: ready/.test(log)) resolveReady(child);
    });
    child.once('exit', (code) => reject(new Error(`worker exited with ${code}: ${log}`)));
  });
}

interface Row {
  name: string;
  wallMs: number;
  requests: number;
  units?: number;
  cpuMsPerUnit?: number;
  redisMsPerUnit?: number;
}

async function inProcess(dir: string, answers: ModelAnswers[], baseURL: string): Promise<Row> {
  const provider = new OpenAiProvider({ env: { OPENAI_API_KEY: KEY }, baseURL });
  const calls = new JudgeCallRunner({ cache: new DiskCache(join(dir, 'cache-in-process')), concurrency: PER_WORKER });
  const judge = new SingleJudge({ provider, calls, model: 'bench' });
  const started = performance.now();
  await new JudgeRunner().run({ answers, judge, calls, outDir: join(dir, 'run-in-process'), itemsInFlight: PER_WORKER + 2, progress: { enabled: false } });
  return { name: `in-process, --concurrency ${PER_WORKER}`, wallMs: performance.now() - started, requests: calls.stats.requests };
}

async function queued(dir: string, answers: ModelAnswers[], files: string[], baseURL: string, queueUrl: string, workers: number): Promise<Row> {
  const children = await Promise.all(Array.from({ length: workers }, () => startWorker(queueUrl)));
  try {
    const name = `${workers} worker${workers === 1 ? '' : 's'}`;
    const outDir = join(dir, `run-${workers}-workers`);
    const answerFiles = await Promise.all(files.map(async (path) => ({ path, sha256: createHash('sha256').update(await readFile(path)).digest('hex') })));
    const coordinator = await JudgeQueueCoordinator.open({
      url: queueUrl,
      unitSize: UNIT_SIZE,
      unit: {
        runDir: outDir,
        judge: { name: 'single', settings: { mode: 'single', judge: 'openai:bench', baseURL, concurrency: PER_WORKER }, plugins: [], pluginBaseDir: resolve('.'), cacheDir: join(dir, `cache-${workers}-workers`) },
        template: 'book',
        answerFiles,
        models: answers.map((model) => model.name),
      },
    });
    // The coordinator only needs the judge's identity; the workers build the real one from the settings above.
    const identity: Judge = { mode: 'single', description: { mode: 'single', provider: 'openai', model: 'bench' }, scoreItem: () => Promise.reject(new Error('unused')) };
    try {
      const cpu = process.cpuUsage();
      const started = performance.now();
      const summary = await new JudgeRunner().run({ answers, judge: coordinator.remote(identity), outDir, itemsInFlight: Number.MAX_SAFE_INTEGER, progress: { enabled: false } });
      const wallMs = performance.now() - started;
      const used = process.cpuUsage(cpu);
      const scored = summary.results.models.reduce((sum, model) => sum + model.scored, 0);
      if (scored !== ITEMS * MODELS) throw new Error(`${name}: ${scored} of ${ITEMS * MODELS} answers scored`);
      await coordinator.forgetFinished();
      const units = coordinator.unitsTotal;
      return { name, wallMs, requests: 0, units, cpuMsPerUnit: (used.user + used.system) / 1000 / units, redisMsPerUnit: coordinator.overheadMs / units };
    } finally {
      await coordinator.close();
    }
  } finally {
    for (const child of children) child.kill('SIGTERM');
  }
}

export default async function bench(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'judgekit-bench-scale-'));
  const redis = await startRedisServer();
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
    console.log(`${ITEMS} items x ${MODELS} models, single judge: ${ITEMS * MODELS} calls; server answers in ${LATENCY_MS} ms; ${PER_WORKER} calls in flight per worker; units of ${UNIT_SIZE} items`);
    const rows: Row[] = [];
    for (const way of ['in-process', 1, 3] as const) {
      const before = await server.requests();
      const row = way === 'in-process' ? await inProcess(dir, answers, server.url) : await queued(dir, answers, files, server.url, redis.url, way);
      row.requests = (await server.requests()) - before;
      console.log(JSON.stringify({ ...row, wallMs: Math.round(row.wallMs) }));
      rows.push(row);
    }
    const one = rows[1] as Row;
    const three = rows[2] as Row;
    const idealOneMs = ((ITEMS * MODELS) / PER_WORKER) * LATENCY_MS;
    const table = [
      '| way | wall | calls/s | requests to the server | units | coordinator CPU per unit | coordinator wait on Redis per unit |',
      '| --- | ---: | ---: | ---: | ---: | ---: | ---: |',
      ...rows.map(
        (row) =>
          `| ${row.name} | ${fmt(row.wallMs / 1000)} s | ${fmt((ITEMS * MODELS) / (row.wallMs / 1000))} | ${row.requests} | ${row.units ?? '-'} | ${row.cpuMsPerUnit === undefined ? '-' : `${fmt(row.cpuMsPerUnit)} ms`} | ${row.redisMsPerUnit === undefined ? '-' : `${fmt(row.redisMsPerUnit)} ms`} |`,
      ),
    ].join('\n');
    const speedup = one.wallMs / three.wallMs;
    console.log(`\n${table}\n\n3 workers / 1 worker: ${fmt(speedup, 2)}x\n`);
    if (process.argv.includes('--no-write')) return;
    await writeBenchSection(
      'scale',
      [
        '### bench:scale: judging on 1 and 3 worker processes (BullMQ + Redis)',
        '',
        `\`npm run bench -- scale\`: ${ITEMS} items x ${MODELS} models with the single judge (${ITEMS * MODELS} calls through the real OpenAI SDK) against the local fake server in its own process, answering ${LATENCY_MS} ms after each request; each worker (and the in-process run) keeps at most ${PER_WORKER} calls in flight (ideal for one: ${fmt(idealOneMs / 1000)} s). The coordinator runs in the bench process (JudgeRunner with the queue's remote judge, units of ${UNIT_SIZE} items); workers are \`judgekit worker --concurrency ${PER_WORKER}\` child processes started before the clock starts; a throwaway redis-server on this machine. ${machine}.`,
        '',
        table,
        '',
        `Speedup of 3 workers over 1: **${fmt(speedup, 2)}x**. Coordinator CPU per unit is the bench process's CPU time during the run divided by the units (it includes appending each judgment to the run directory); the Redis wait is the time spent awaiting Redis to enqueue each unit and read its result back, overlapping the workers' work.`,
        '',
      ].join('\n'),
    );
  } finally {
    server.close();
    await redis.stop();
    await rm(dir, { recursive: true, force: true });
  }
}
