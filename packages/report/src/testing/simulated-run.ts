// Writes a complete run directory by judging planted answers through any chat client (in tests: the real
// `openai` SDK pointed at the judge simulator). It builds the study's two prompts itself so this package does
// not depend on the judges plugin; `judgekit judge` against the simulator is the other, fuller path.
import { mkdir } from 'node:fs/promises';
import {
  JsonlLog,
  judgmentKey,
  mapConcurrent,
  modelScoreSummaries,
  collectJudgeScores,
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

function fence(text: string): string {
  let longest = 0;
  for (const match of text.matchAll(/`+/g)) longest = Math.max(longest, match[0].length);
  const f = '`'.repeat(Math.max(3, longest + 1));
  return `${f}\n${text}\n${f}`;
}

/** The book's single-answer judge prompt. */
export function singlePrompt(prompt: string, output: string, response: string): string {
  return `Given the input \`${prompt}\` and correct output \`${output}\`, score the model response \`${response}\` on a scale from 0 to 100, where 100 is the best score. Respond with the integer number only.`;
}

/** The study's batched comparative prompt; `responses` in slot order. */
export function batchedPrompt(prompt: string, output: string, responses: readonly string[]): string {
  const head = `You are judging the comparative capabilities of a number of different LLM
models.  They have been trained to follow instructions.

The input was this:

${fence(prompt)}

An example correct output is this:

${fence(output)}

Please produce a score of between 0 and 100 for each model, and respond
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
  return `${head}${responses.map((r, slot) => `\n\n# Model ${slot + 1}\n\n${fence(r)}`).join('')}\n`;
}

function parseBatched(reply: string, count: number): Array<{ score: number; comments?: string }> | string {
  const text = reply.trim().replace(/^```\w*\n([\s\S]*?)\n```$/, '$1');
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return 'reply is not JSON';
  }
  const out: Array<{ score: number; comments?: string }> = [];
  for (let slot = 0; slot < count; slot++) {
    const entry = (value as Record<string, { score?: unknown; comments?: unknown }>)[`Model ${slot + 1}`];
    if (!entry || typeof entry.score !== 'number') return `no score for Model ${slot + 1}`;
    out.push({ score: entry.score, ...(typeof entry.comments === 'string' ? { comments: entry.comments } : {}) });
  }
  return out;
}

/** Slot order for a batched call: `order[slot]` = model index. */
export function slotOrder(modelCount: number, index: number, repeat: number, order: 'balanced' | 'random', seed: number | string): number[] {
  const models = Array.from({ length: modelCount }, (_, m) => m);
  if (order === 'random') return shuffled(models, seededRandom(`${String(seed)}/order/${repeat}/${index}`));
  const base = shuffled(models, seededRandom(`${String(seed)}/base/${repeat}`));
  return base.map((_, slot) => base[(slot + index) % modelCount] as number);
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
            const reply = await options.complete(singlePrompt(item.prompt, item.output, model.responses[i] ?? ''));
            record.calls++;
            record.attempts++;
            record.tokenUsage.prompt += reply.usage.prompt;
            record.tokenUsage.completion += reply.usage.completion;
            const text = reply.text.trim();
            const score: ModelScore = /^\d+$/.test(text) && Number(text) <= 100 ? { model: model.name, score: Number(text) } : { model: model.name, score: null, failure: `reply is not an integer: ${JSON.stringify(text.slice(0, 60))}` };
            record.scores.push(score);
          }
        } else {
          const order = slotOrder(items.models.length, i, repeat, judge.order ?? 'balanced', seed);
          const reply = await options.complete(batchedPrompt(item.prompt, item.output, order.map((m) => items.models[m]?.responses[i] ?? '')));
          record.calls = 1;
          record.attempts = 1;
          record.tokenUsage = { ...reply.usage };
          const parsed = parseBatched(reply.text, order.length);
          record.scores = order.map((m, slot) => {
            const model = items.models[m]?.name ?? '';
            if (typeof parsed === 'string') return { model, score: null, position: slot + 1, failure: parsed };
            const s = parsed[slot] as { score: number; comments?: string };
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
