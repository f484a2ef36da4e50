// Writes a complete run directory by judging planted answers through any chat client (in tests: the real
// `openai` SDK pointed at the judge simulator), with the study's prompts and reply parsers from @judgekit/core;
// `judgekit judge` against the simulator is the other, fuller path.
import { mkdir } from 'node:fs/promises';
import {
  balancedOrder,
  formatBatchedJudgePrompt,
  formatSingleJudgePrompt,
  JsonlLog,
  judgmentKey,
  mapConcurrent,
  modelScoreSummaries,
  collectJudgeScores,
  parseBatchedReply,
  parseScoreReply,
  runFile,
  seededRandom,
  shuffled,
  writeJsonAtomic,
  type JudgmentRecord,
  type ModelScore,
  type RunItems,
  type RunLosses,
  type RunResults,
} from '@judgekit/core';

export interface ChatCompletion {
  text: string;
  usage: { prompt: number; completion: number };
}

export interface SimulatedJudgeSpec {
  name: string;
  mode: 'single' | 'batched';
  repeats: number;
  /** Batched slot order: a rotated seeded permutation (every model in every slot equally often) or a fresh shuffle per call (as in the study). */
  order?: 'balanced' | 'random';
}

export interface SimulatedRunOptions {
  dir: string;
  items: RunItems;
  judges: readonly SimulatedJudgeSpec[];
  /** Sends one user message and returns the reply text and token usage. */
  complete: (prompt: string) => Promise<ChatCompletion>;
  losses?: RunLosses;
  provider?: string;
  judgeModel?: string;
  seed?: number | string;
  concurrency?: number;
}

/** Slot order for a batched call: `order[slot]` = model index. */
export function slotOrder(modelCount: number, index: number, repeat: number, order: 'balanced' | 'random', seed: number | string): number[] {
  const models = Array.from({ length: modelCount }, (_, m) => m);
  if (order === 'random') return shuffled(models, seededRandom(`${String(seed)}/order/${repeat}/${index}`));
  return balancedOrder(modelCount, index, { seed: `${String(seed)}/base/${repeat}` });
}

/** Judge every item with every judge and write items.json, judgments.jsonl, results.json (and loss.json). */
export async function writeSimulatedRun(options: SimulatedRunOptions): Promise<void> {
  const { dir, items } = options;
  await mkdir(dir, { recursive: true });
  await writeJsonAtomic(runFile(dir, 'items'), items);
  if (options.losses) await writeJsonAtomic(runFile(dir, 'loss'), options.losses);
  const log = new JsonlLog<JudgmentRecord>(runFile(dir, 'judgments'));
  const seed = options.seed ?? 1;
  const records: JudgmentRecord[] = [];
  const base = { provider: options.provider ?? 'openai', model: options.judgeModel ?? 'judge-simulator' };
  for (const judge of options.judges) {
    // Repeats run one after another so identical single prompts meet the simulator in a fixed order.
    for (let repeat = 0; repeat < judge.repeats; repeat++) {
      await mapConcurrent(items.items, options.concurrency ?? 8, async (item, i) => {
        const record: JudgmentRecord = { judge: judge.name, mode: judge.mode, ...base, index: item.index, repeat, scores: [], calls: 0, cachedCalls: 0, tokenUsage: { prompt: 0, completion: 0 }, attempts: 0 };
        if (judge.mode === 'single') {
          for (const model of items.models) {
            const reply = await options.complete(formatSingleJudgePrompt({ prompt: item.prompt, output: item.output, response: model.responses[i] ?? '' }));
            record.calls++;
            record.attempts++;
            record.tokenUsage.prompt += reply.usage.prompt;
            record.tokenUsage.completion += reply.usage.completion;
            const parsed = parseScoreReply(reply.text);
            // The raw reply is recorded as the judge runner records it (scrubbed there; the simulator's hold no secrets).
            const score: ModelScore = 'score' in parsed ? { model: model.name, score: parsed.score, reply: reply.text } : { model: model.name, score: null, failure: parsed.error, reply: reply.text };
            record.scores.push(score);
          }
        } else {
          const order = slotOrder(items.models.length, i, repeat, judge.order ?? 'balanced', seed);
          const reply = await options.complete(formatBatchedJudgePrompt({ prompt: item.prompt, output: item.output, responses: order.map((m) => items.models[m]?.responses[i] ?? '') }));
          record.calls = 1;
          record.attempts = 1;
          record.tokenUsage = { ...reply.usage };
          record.reply = reply.text;
          const parsed = parseBatchedReply(reply.text, order.length);
          record.scores = order.map((m, slot) => {
            const model = items.models[m]?.name ?? '';
            if ('error' in parsed) return { model, score: null, position: slot + 1, failure: parsed.error };
            const s = parsed.slots[slot] as { score: number; comments?: string };
            return { model, score: s.score, position: slot + 1, ...(s.comments ? { comments: s.comments } : {}) };
          });
          record.scores.sort((a, b) => items.models.findIndex((m) => m.name === a.model) - items.models.findIndex((m) => m.name === b.model));
        }
        records.push(record);
        await log.append(judgmentKey(judge.name, repeat, item.index), record);
      });
    }
  }
  const models = items.models.map((m) => m.name);
  const scores = collectJudgeScores(records, models, items.items.map((it) => it.index));
  const losses = new Map(options.losses?.models.map((m) => [m.name, m.loss]) ?? []);
  const summaries = new Map(scores.map((j) => [j.judge, modelScoreSummaries(j, { seed: 'results' })]));
  const primary = options.judges[0]?.name ?? '';
  const results: RunResults = {
    items: items.items.length,
    judges: options.judges.map((j) => ({ name: j.name, mode: j.mode, ...base, aggregate: 'drop-failed', repeats: j.repeats })),
    models: models.map((name, m) => {
      const judges = Object.fromEntries(
        [...summaries].map(([judge, list]) => {
          const s = list[m];
          return [judge, { score: s?.mean ?? Number.NaN, ci95: s?.ci95 ?? [Number.NaN, Number.NaN], scored: s?.scored ?? 0, failed: s?.failed ?? 0 }];
        }),
      );
      const main = judges[primary] ?? { score: Number.NaN, ci95: [Number.NaN, Number.NaN] as [number, number], scored: 0, failed: 0 };
      return { name, ...(losses.has(name) ? { loss: losses.get(name) as number } : {}), ...main, judges };
    }),
  };
  await writeJsonAtomic(runFile(dir, 'results'), results);
}
