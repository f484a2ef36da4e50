// `npm run bench -- judge`: the judge pipeline against the local fake server with a fixed per-call latency.
// 110 items x 5 models: calls and prompt tokens per mode (single vs batched), wall time against the ideal
// (calls x latency / concurrency) at concurrency 8, and a cached rerun (0 calls).
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { batchedReplyFor, DiskCache, JudgeCallRunner, JudgeRunner, loadAnswerFiles, Semaphore, type AnswerRecord } from '@judgekit/core';
import { BatchedJudge, OpenAiProvider, SingleJudge } from '@judgekit/judges';
import { startFakeLlmServer } from '@judgekit/judges/testing';
import { fileURLToPath } from 'node:url';

/** Per-call latencies measured: 50 ms makes client CPU per call visible; 250 ms is still faster than real judge calls. */
const LATENCIES_MS = [50, 250];
const LATENCY_MS = Number(process.env.JUDGEKIT_BENCH_LATENCY_MS ?? LATENCIES_MS[0]);
const CONCURRENCY = 8;
const MODELS = 5;
const ITEMS = 110;
const BOOK_ANSWERS = resolve(import.meta.dirname, '../../../shared/data/book-answers/instruction-data-with-response.json');

/** Five "models": the book's real answers cut to 20%, 40%, ... 100% of their words; synthetic text when absent. */
async function baseRecords(): Promise<AnswerRecord[]> {
  if (existsSync(BOOK_ANSWERS)) return JSON.parse(await readFile(BOOK_ANSWERS, 'utf8')) as AnswerRecord[];
  return Array.from({ length: ITEMS }, (_, i) => ({
    instruction: `Explain item ${i} in one sentence.`,
    input: i % 3 === 0 ? `context for item ${i}` : '',
    output: `A reference answer for item ${i} that is about twenty words long, give or take a few of them here.`,
    model_response: `The answer to item ${i} is that it is about twenty words long, more or less, as expected here.`,
  }));
}

// Run as the server process: the fake server lives in its own process, as a real endpoint would, so its
// CPU time is not charged to the client being measured.
if (process.env.JUDGEKIT_BENCH_FAKE_SERVER === '1') {
  let served = 0;
  const server = await startFakeLlmServer((request) => {
    served++;
    return {
      delayMs: LATENCY_MS,
      text: request.prompt.startsWith('Given the input') ? '50' : batchedReplyFor(request.prompt, (answer) => Math.min(100, answer.length % 101)),
    };
  });
  process.on('message', () => process.send?.(served));
  process.send?.(server.openaiBaseURL);
}

interface ServerProcess {
  url: string;
  served(): Promise<number>;
  close(): void;
}

async function startServerProcess(latencyMs: number): Promise<ServerProcess> {
  const child = spawn(process.execPath, ['--conditions=@judgekit/source', '--import', 'tsx/esm', fileURLToPath(import.meta.url)], {
    env: { ...process.env, JUDGEKIT_BENCH_FAKE_SERVER: '1', JUDGEKIT_BENCH_LATENCY_MS: String(latencyMs) },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const url = await new Promise<string>((resolve, reject) => {
    child.once('message', (message) => resolve(String(message)));
    child.once('exit', (code) => reject(new Error(`fake server exited with ${code}`)));
  });
  return {
    url,
    served: () =>
      new Promise<number>((resolve) => {
        child.once('message', (message) => resolve(Number(message)));
        child.send('count');
      }),
    close: () => child.kill(),
  };
}

/** The floor on this machine: the same number of bare fetch calls, same concurrency, same server. */
async function bareFetch(url: string, bodies: readonly string[]): Promise<number> {
  const semaphore = new Semaphore(CONCURRENCY);
  const started = performance.now();
  await Promise.all(
    bodies.map((body) =>
      semaphore.use(async () => {
        const response = await fetch(`${url}/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: 'Bearer not-a-key' }, body });
        return response.json();
      }),
    ),
  );
  return performance.now() - started;
}

export default async function bench(): Promise<void> {
  for (const latency of LATENCIES_MS) await benchAtLatency(latency);
}

async function benchAtLatency(latency: number): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'judgekit-bench-judge-'));
  const server = await startServerProcess(latency);
  try {
    const records = (await baseRecords()).slice(0, ITEMS);
    const files: string[] = [];
    for (let m = 0; m < MODELS; m++) {
      const file = join(dir, `model${m + 1}-ift-test-results.json`);
      const keep = (m + 1) / MODELS;
      await writeFile(
        file,
        JSON.stringify(records.map((r) => ({ ...r, model_response: r.model_response.split(' ').slice(0, Math.max(1, Math.round(r.model_response.split(' ').length * keep))).join(' ') }))),
      );
      files.push(file);
    }
    const answers = await loadAnswerFiles(files);
    const provider = new OpenAiProvider({ env: { OPENAI_API_KEY: 'sk-bench-not-a-key' }, baseURL: server.url });
    // Warm up: the lazy SDK import and the first connection are start-up costs, not per-call ones.
    const warm = await provider.complete({ model: 'bench', messages: [{ role: 'user', content: 'Given the input `warm-up`' }] });
    if (warm.error) throw new Error(`warm-up call failed: ${warm.error.message}`);
    const rows: string[] = [];
    console.log(`${answers.length} models x ${answers[0]?.records.length} items, ${latency} ms per call, concurrency ${CONCURRENCY}, fake OpenAI server via the real SDK`);
    for (const mode of ['single', 'batched'] as const) {
      const cacheDir = join(dir, `cache-${mode}`);
      const measure = async (runDir: string) => {
        const calls = new JudgeCallRunner({ cache: new DiskCache(cacheDir), concurrency: CONCURRENCY });
        const judge = mode === 'single' ? new SingleJudge({ provider, calls, model: 'bench' }) : new BatchedJudge({ provider, calls, model: 'bench' });
        const before = await server.served();
        const cpu = process.cpuUsage();
        const started = performance.now();
        await new JudgeRunner().run({ answers, judge, calls, outDir: join(dir, runDir), itemsInFlight: CONCURRENCY + 2, progress: { enabled: false } });
        const wallMs = performance.now() - started;
        const used = process.cpuUsage(cpu);
        return { wallMs, cpuMs: (used.user + used.system) / 1000, requests: (await server.served()) - before, stats: calls.stats, judge };
      };
      const cold = await measure(`run-${mode}`);
      const ideal = (cold.requests * latency) / CONCURRENCY;
      // The same prompts sent bare, for the machine's floor.
      const prompts = answers[0]!.records.map((_, index) => index);
      const bodies: string[] = [];
      for (let i = 0; i < cold.requests; i++) bodies.push(JSON.stringify({ model: 'bench', messages: [{ role: 'user', content: `${'x'.repeat(Math.round((cold.stats.tokenUsage.prompt * 4) / cold.requests))}${i}/${prompts.length}` }] }));
      const floorMs = await bareFetch(server.url, bodies);
      // Same cache, fresh run directory: every call must come from the cache.
      const cached = await measure(`rerun-${mode}`);
      const line = {
        mode,
        calls: cold.requests,
        promptTokens: cold.stats.tokenUsage.prompt,
        promptTokensPerItem: Math.round(cold.stats.tokenUsage.prompt / ITEMS),
        wallMs: Math.round(cold.wallMs),
        idealMs: Math.round(ideal),
        ratio: Number((cold.wallMs / ideal).toFixed(3)),
        bareFetchMs: Math.round(floorMs),
        overBareFetch: Number((cold.wallMs / floorMs).toFixed(3)),
        clientCpuMsPerCall: Number((cold.cpuMs / cold.requests).toFixed(2)),
        cachedRerunCalls: cached.requests,
        cachedRerunMs: Math.round(cached.wallMs),
      };
      console.log(JSON.stringify(line));
      rows.push(
        `| ${mode} | ${line.calls} | ${line.promptTokens} (${line.promptTokensPerItem}/item) | ${(line.wallMs / 1000).toFixed(2)} s | ${(line.idealMs / 1000).toFixed(2)} s | ${line.ratio.toFixed(2)}x | ${(line.bareFetchMs / 1000).toFixed(2)} s (${line.overBareFetch.toFixed(2)}x) | ${line.clientCpuMsPerCall} ms | ${line.cachedRerunCalls} calls, ${(line.cachedRerunMs / 1000).toFixed(2)} s |`,
      );
    }
    console.log(
      [
        '',
        '| mode | calls | prompt tokens | wall | ideal | wall/ideal | bare fetch (wall/bare) | client CPU/call | cached rerun |',
        '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |',
        ...rows,
      ].join('\n'),
    );
    console.log(`load average at the end: ${(await import('node:os')).loadavg().map((v) => v.toFixed(2)).join(' ')} on ${(await import('node:os')).cpus().length} CPUs`);
  } finally {
    server.close();
    await rm(dir, { recursive: true, force: true });
  }
}
