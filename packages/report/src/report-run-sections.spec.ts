// report.html and report.md of a hand-written one-model run directory: no empty gap matrix and "n/a" for the
// length slope, the fine-tuning curves from epochs.jsonl, the run's config and versions from run.json (secrets
// removed), the tagger's measured accuracy beside the category table, and judge prompts rebuilt in the browser data.
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatAlpacaPrompt, formatSingleJudgePrompt, HAND_LABELLED_INSTRUCTIONS, JsonlLog, judgmentKey, measureTaggerAccuracy, ruleBasedCategory, writeJsonAtomic, type JudgmentRecord, type RunItems } from '@judgekit/core';
import { writeRunReport } from './run-report.js';

const SECRET = 'sk-abcdefghijklmnop0123456789';

function section(html: string, id: string): string {
  const start = html.indexOf(`<section id="${id}">`);
  expect(start, `section #${id}`).toBeGreaterThanOrEqual(0);
  return html.slice(start, html.indexOf('</section>', start));
}

const instructions = ['What is the capital of France?', 'Add the two numbers.', 'Write the following word in capital letters.', 'Rewrite the sentence in passive voice.', 'Write a haiku about rain.', 'What is 3 + 4?'];
const answers = ['Paris.', '3 + 4 = 7, a longer answer here', 'RIVER', 'The meal was cooked by the chef, as it happens.', 'Rain falls', 'Seven'];

/** items.json and judgments.jsonl of a one-judge ('single', 2 repeats) run of the six instructions above. */
async function writeHandRun(dir: string, models: Array<{ name: string; responses: string[] }>, score: (model: number, item: number, repeat: number) => number): Promise<void> {
  const items: RunItems = {
    items: instructions.map((instruction, index) => ({ index, instruction, input: '', output: 'reference', prompt: formatAlpacaPrompt({ instruction, input: '' }) })),
    models,
  };
  await writeJsonAtomic(join(dir, 'items.json'), items);
  const log = new JsonlLog<JudgmentRecord>(join(dir, 'judgments.jsonl'));
  for (let repeat = 0; repeat < 2; repeat++) {
    for (const item of items.items) {
      const scores = models.map((m, k) => ({ model: m.name, score: score(k, item.index, repeat) }));
      await log.append(judgmentKey('single', repeat, item.index), { judge: 'single', mode: 'single', provider: 'openai', model: 'judge-x', index: item.index, repeat, scores, calls: models.length, cachedCalls: 0, tokenUsage: { prompt: 10, completion: 1 }, attempts: models.length });
    }
  }
}

describe('report of a one-model run with run.json and fine-tuning epochs', () => {
  let dir: string;
  let html: string;
  let markdown: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'judgekit-one-model-'));
    await writeHandRun(dir, [{ name: 'solo', responses: answers }], (_, item, repeat) => 40 + item * 9 + repeat * 3);
    await writeJsonAtomic(join(dir, 'run.json'), {
      tool: 'judgekit',
      command: 'judge',
      judge: { name: 'single', mode: 'single', provider: 'openai', model: 'judge-x', wording: 'study' },
      options: { baseURL: `http://127.0.0.1:1/v1?key=${SECRET}` },
      packages: { '@judgekit/core': '0.1.0', openai: '6.49.0', node: 'v20.0.0' },
    });
    await mkdir(join(dir, 'finetune', 'solo'), { recursive: true });
    const epochs = new JsonlLog<{ epoch: number; trainLoss: number; validationLoss: number; stopped: boolean }>(join(dir, 'finetune', 'solo', 'epochs.jsonl'));
    for (const [epoch, trainLoss, validationLoss] of [[1, 2.5, 2.6], [2, 1.9, 2.2], [3, 1.5, 2.3]] as const) await epochs.append(`epoch/${epoch}`, { epoch, trainLoss, validationLoss, stopped: epoch === 3 });
    const report = await writeRunReport(dir, { resamples: 50, generatedAt: 'test' });
    html = await readFile(report.files[0] as string, 'utf8');
    markdown = report.markdown;
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('shows no gap matrix for one model, only a note that there is nothing to compare', () => {
    const gaps = section(html, 'gaps');
    expect(gaps).not.toContain('class="matrix"');
    expect(gaps).toContain('One model in this run');
  });

  it('prints the within-item length slope as n/a, not as 0.00 [0.00, 0.00], in report.html and report.md', () => {
    const length = section(html, 'length');
    expect(length).toContain('<b class="slope-na">n/a</b>');
    expect(length).not.toMatch(/[+]?0\.00<\/b> <span class="ci">\[0\.00, 0\.00\]/);
    const line = markdown.split('\n').find((l) => l.includes('points per unit log length')) ?? '';
    expect(line).toContain('n/a');
    expect(line).not.toContain('[0.00, 0.00]');
  });

  it('draws the fine-tuning curves from epochs.jsonl: a train and a validation line, the best epoch and the stop', () => {
    const finetune = section(html, 'finetune');
    expect(finetune.match(/<polyline /g)).toHaveLength(2);
    expect(finetune).toContain('stroke-dasharray="5 3"');
    expect(finetune).toContain('2.200 (epoch 2)');
    expect(finetune).toContain('stopped after epoch 3');
    expect(html).toContain('<a href="#finetune">');
  });

  it("shows the run's config and the recorded and current versions, with the key in run.json removed", () => {
    const info = section(html, 'run-info');
    expect(info).toContain('openai');
    expect(info).toContain('6.49.0');
    expect(info).toContain(process.version);
    expect(info).toContain('onnxruntime-node');
    expect(html).not.toContain(SECRET);
    expect(info).toContain('REDACTED');
  });

  it("shows the rule-based tagger's accuracy on the hand-labelled set beside the category table, in both reports", () => {
    const expected = measureTaggerAccuracy('rules', HAND_LABELLED_INSTRUCTIONS.map((item) => ruleBasedCategory(item.instruction, item.input)));
    const percent = `${Math.round(expected.accuracy * 100)}%`;
    const categories = section(html, 'categories');
    expect(categories).toContain(`Tagger accuracy (<b>rules</b>): <b>${percent}</b> of ${expected.total} hand-labelled instructions`);
    expect(markdown).toContain(`Tagger accuracy (rules): ${percent} of ${expected.total} hand-labelled instructions`);
    // "Add the two numbers." joins "What is 3 + 4?"; "Write the following word in capital letters." joins the passive rewrite.
    expect(categories).toContain('reasoning/math <span class="muted">(2)</span>');
    expect(categories).toContain('rewriting/formatting <span class="muted">(2)</span>');
    expect(categories).toContain('factual recall <span class="muted">(1)</span>');
  });

  it('embeds each judgment with the single-judge prompt rebuilt in the wording run.json records', () => {
    const json = html.slice(html.indexOf('<script type="application/json" id="item-data">') + '<script type="application/json" id="item-data">'.length, html.indexOf('</script>', html.indexOf('id="item-data"')));
    const data = JSON.parse(json) as { judges: Array<{ wording?: string }>; items: Array<{ answers: string[]; single: Record<string, [string, string]>; judgments: Array<Array<Array<{ score: number }>>> }> };
    expect(data.judges[0]?.wording).toBe('study');
    const item = data.items[2]!;
    const expectedPrompt = formatSingleJudgePrompt({ prompt: formatAlpacaPrompt({ instruction: instructions[2] as string, input: '' }), output: 'reference', response: 'RIVER' }, 'study');
    // The page joins the two pieces around the answer.
    expect(Object.keys(item.single)).toEqual(['study']);
    expect(`${item.single.study![0]}${item.answers[0]}${item.single.study![1]}`).toBe(expectedPrompt);
    expect(item.judgments[0]![0]!.map((j) => j.score)).toEqual([58, 61]);
  });
});

describe('report --compare: this run beside another', () => {
  let root: string;
  let html: string;
  let markdown: string;

  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'judgekit-compare-'));
    const models = (changed: boolean) => [
      { name: 'alpha', responses: answers },
      { name: 'beta', responses: changed ? answers.map((a, i) => (i === 5 ? 'a new answer' : a)) : answers },
    ];
    // This run: alpha is 12 points higher on every item than in the other run, beta 30 higher on item 2 only.
    await mkdir(join(root, 'a'));
    await writeHandRun(join(root, 'a'), models(true), (m, item, repeat) => 40 + item * 5 + repeat + (m === 0 ? 12 : item === 2 ? 30 : 0));
    await mkdir(join(root, 'b'));
    await writeHandRun(join(root, 'b'), models(false), (_, item, repeat) => 40 + item * 5 + repeat);
    const report = await writeRunReport(join(root, 'a'), { compare: join(root, 'b'), resamples: 100, generatedAt: 'test' });
    html = await readFile(report.files[0] as string, 'utf8');
    markdown = report.markdown;
  });
  afterAll(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it("shows each model's score difference with its CI, and links the items that changed", () => {
    const compare = section(html, 'compare');
    expect(html).toContain('<a href="#compare">');
    expect(compare).toContain('<tr><td>alpha</td><td>6</td><td>');
    expect(compare).toContain('<span class="pos">+12.00</span> <span class="ci">[12.00, 12.00]</span>');
    expect(compare).toContain('<span class="ns">+5.00</span>');
    // Item 2 moved 30 points for beta; item 5's beta answer changed.
    expect(compare).toContain('<a href="#item-2">#2</a></td><td>beta</td>');
    expect(compare).toContain('<a href="#item-5">#5</a></td><td>beta</td>');
    expect(compare).toMatch(/<a href="#item-5">#5<\/a>.*?<td>changed<\/td>/);
    expect(markdown).toContain('## Compared with another run');
    expect(markdown).toMatch(/\| alpha \| 6 \| [\d.]+ \| [\d.]+ \| \+12\.00 \[12\.00, 12\.00\] \* \|/);
  });
});
