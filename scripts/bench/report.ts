// `npm run bench -- report`: how long the analysis and the HTML report take on a study-sized run (110 items,
// 9 models, 3 repeats, a single and a batched judge), with judgments and raw replies from the simulator's scoring
// function (`--no-replies`: without the replies, as runs logged before judgekit recorded them).
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { analyzeRun, formatBatchedJudgePrompt, formatSingleJudgePrompt, JsonlLog, judgmentKey, runFile, seededRandom, writeJsonAtomic, type JudgmentRecord } from '@judgekit/core';
import { writeRunReport } from '@judgekit/report';
import { plantedRun, simulateJudgeCall, slotOrder } from '@judgekit/report/testing';

export default async function bench(args: string[] = []): Promise<void> {
  const replies = !args.includes('--no-replies');
  const models = Array.from({ length: 9 }, (_, m) => ({ name: `model-${m}`, quality: 60 - m * 3, words: 15 + m * 5 }));
  const planted = plantedRun(models, 110, 'bench');
  const options = { quality: planted.quality, callMoodSd: 10, answerNoiseSd: 5, positionEffects: [4, 3, 2, 1, 0, -1, -2, -3, -4] };
  const judgments: JudgmentRecord[] = [];
  const base = { provider: 'sim', model: 'sim', calls: 1, cachedCalls: 0, tokenUsage: { prompt: 500, completion: 50 }, attempts: 1 };
  for (let repeat = 0; repeat < 3; repeat++) {
    planted.items.items.forEach((item, i) => {
      const order = slotOrder(9, i, repeat, 'balanced', 1);
      const batched = simulateJudgeCall(formatBatchedJudgePrompt({ prompt: item.prompt, output: item.output, responses: order.map((m) => planted.items.models[m]?.responses[i] ?? '') }), options, seededRandom(`b${repeat}/${i}`));
      judgments.push({ ...base, judge: 'batched', mode: 'batched', index: item.index, repeat, scores: order.map((m, slot) => ({ model: models[m]!.name, score: batched.scores[slot] ?? null, position: slot + 1 })), ...(replies ? { reply: batched.reply } : {}) });
      judgments.push({
        ...base,
        judge: 'single',
        mode: 'single',
        index: item.index,
        repeat,
        calls: 9,
        scores: planted.items.models.map((model, m) => {
          const single = simulateJudgeCall(formatSingleJudgePrompt({ prompt: item.prompt, output: item.output, response: model.responses[i] ?? '' }), options, seededRandom(`s${repeat}/${i}/${m}`));
          return { model: model.name, score: single.scores[0] ?? null, ...(replies ? { reply: single.reply } : {}) };
        }),
      });
    });
  }
  const t0 = performance.now();
  const analysis = analyzeRun({ items: planted.items, judgments }, { bootstrap: { resamples: 2000 } });
  const analyseMs = performance.now() - t0;
  const dir = await mkdtemp(join(tmpdir(), 'judgekit-bench-report-'));
  try {
    await writeJsonAtomic(runFile(dir, 'items'), planted.items);
    const log = new JsonlLog<JudgmentRecord>(runFile(dir, 'judgments'));
    for (const j of judgments) await log.append(judgmentKey(j.judge, j.repeat, j.index), j);
    const t1 = performance.now();
    const report = await writeRunReport(dir, { resamples: 2000 });
    const reportMs = performance.now() - t1;
    const size = (await stat(report.files[0] as string)).size;
    console.log(`analyzeRun, 110 items x 9 models x 3 repeats x 2 judges, 2000 resamples: ${analyseMs.toFixed(0)} ms`);
    console.log(`judgekit report (load + analyse + render + write): ${reportMs.toFixed(0)} ms, report.html ${(size / 1024).toFixed(0)} KiB (${replies ? 'with' : 'without'} raw judge replies)`);
    console.log(`recovered slot effects (planted +4..-4): ${analysis.judges.find((j) => j.judge === 'batched')?.positionBias?.slots.map((s) => s.effect.toFixed(1)).join(', ')}`);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
