import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CalibrationFile, JudgeCalibration, RunAnalysis } from '@judgekit/core';
import { calibrationFor, calibrationHtmlSection, formatCalibrationMarkdown, loadCalibrationFile } from './calibration-section.js';

function judge(overrides: Partial<JudgeCalibration>): JudgeCalibration {
  return {
    judge: 'single-openai-m',
    mode: 'single',
    provider: 'openai',
    model: 'm',
    items: 10,
    repeats: 1,
    levels: [{ level: 'reference', mean: 90, scored: 10 }],
    accuracy: { value: 0.875, ci95: [0.8, 0.95], basis: 'scores', pairs: 140, correct: 120, ties: 5, unscored: 0 },
    kendallTau: { mean: 0.7, ci95: [0.6, 0.8], items: 10, constantItems: 0 },
    slotBias: null,
    flip: null,
    cost: null,
    weight: 0.375,
    ...overrides,
  };
}

function file(judges: JudgeCalibration[]): CalibrationFile {
  return { tool: 'judgekit', kind: 'calibration', version: 1, dataset: 'data.json', seed: 1, items: 10, levels: ['reference'], knownOrder: 'reference > keep-75', weighting: 'max(accuracy − 0.5, 0), normalised over the members', judges };
}

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'judgekit-calibration-section-'));
});
afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('calibration section', () => {
  it('matches a run judge to its calibration by name first, else by mode and provider:model', () => {
    const calibration = file([judge({ judge: 'a', mode: 'single' }), judge({ judge: 'b', mode: 'batched' })]);
    expect(calibrationFor(calibration, { judge: 'b', mode: 'single', provider: 'openai', model: 'm' })?.judge).toBe('b');
    expect(calibrationFor(calibration, { judge: 'mine', mode: 'batched', provider: 'openai', model: 'm' })?.judge).toBe('b');
    expect(calibrationFor(calibration, { judge: 'mine', mode: 'batched', provider: 'openai', model: 'other' })).toBeUndefined();
  });

  it('prints accuracy as a percentage with its CI, marks accuracy read from pairwise verdicts, and prints NaN (null in JSON) as a dash', () => {
    const markdown = formatCalibrationMarkdown(
      file([judge({}), judge({ judge: 'pairwise-openai-m', mode: 'pairwise', accuracy: { value: 0.75, ci95: [0.7, 0.8], basis: 'comparisons', pairs: 280, correct: 200, ties: 20, unscored: 0 } }), judge({ judge: 'broken', kendallTau: { mean: null as unknown as number, ci95: [null, null] as unknown as [number, number], items: 0, constantItems: 0 } })]),
    );
    expect(markdown).toMatch(/\| single-openai-m \| single \| openai:m \| 1 \| 87\.5% \[80\.0, 95\.0\] \| 0\.700 \[0\.600, 0\.800\] \|/);
    expect(markdown).toMatch(/\| pairwise-openai-m \| pairwise \| openai:m \| 1 \| 75\.0% \[70\.0, 80\.0\] \(verdicts\) \|/);
    expect(markdown).toMatch(/\| broken \| single \| openai:m \| 1 \| 87\.5% \[80\.0, 95\.0\] \| — — \|/);
  });

  it('escapes judge names and the dataset in report.html', () => {
    const html = calibrationHtmlSection({ judges: [], models: [] } as unknown as RunAnalysis, { file: { ...file([]), dataset: '<img src=x>' }, matched: [{ judge: '<script>alert(1)</script>', mode: 'single', calibration: judge({}) }], panel: null });
    expect(html).not.toMatch(/<script>|<img/);
    expect(html).toMatch(/&lt;script&gt;alert\(1\)&lt;\/script&gt;/);
  });

  it('reads calibration.json, and names the file and field of one judgekit did not write', async () => {
    const good = join(dir, 'good.json');
    await writeFile(good, JSON.stringify(file([judge({})])));
    expect((await loadCalibrationFile(good))?.judges[0]?.accuracy.value).toBe(0.875);
    expect(await loadCalibrationFile(join(dir, 'absent.json'), true)).toBeUndefined();
    await expect(loadCalibrationFile(join(dir, 'absent.json'))).rejects.toThrow(/Cannot read calibration file .*absent\.json/);
    const wrongKind = join(dir, 'results.json');
    await writeFile(wrongKind, JSON.stringify({ models: [] }));
    await expect(loadCalibrationFile(wrongKind)).rejects.toThrow(/results\.json: field `kind` should be "calibration"/);
    const noAccuracy = join(dir, 'no-accuracy.json');
    await writeFile(noAccuracy, JSON.stringify({ ...file([judge({})]), judges: [{ ...judge({}), accuracy: { value: 'high' } }] }));
    await expect(loadCalibrationFile(noAccuracy)).rejects.toThrow(/no-accuracy\.json: judges\[0\]\.accuracy\.value should be a number/);
  });
});
