import { describe, expect, it } from 'vitest';
import { judgeUnitJobId, JUDGE_UNIT_VERSION, type JudgeUnitData } from './judge-units.js';

function unit(overrides: Partial<JudgeUnitData> = {}): JudgeUnitData {
  return {
    kind: 'judge',
    version: JUDGE_UNIT_VERSION,
    runDir: '/runs/a',
    judge: { name: 'batched', settings: { mode: 'batched', judge: 'openai:gpt-4o-mini', concurrency: 4, temperature: 0 }, plugins: [], pluginBaseDir: '/work', cacheDir: '/cache' },
    template: 'book',
    answerFiles: [{ path: '/data/a-ift-test-results.json', sha256: 'aa' }],
    models: ['a'],
    repeat: 0,
    indices: [0, 1, 2],
    ...overrides,
  };
}

describe('judgeUnitJobId', () => {
  it('gives the same id for the same unit built twice, so a restarted coordinator enqueues no duplicate', () => {
    expect(judgeUnitJobId(unit())).toBe(judgeUnitJobId(structuredClone(unit())));
    expect(judgeUnitJobId(unit())).toMatch(/^judge-[0-9a-f]{40}$/);
  });

  it('gives a new id when the items, the repeat, an answer file, the judge settings or the run directory change', () => {
    const base = judgeUnitJobId(unit());
    const changed = [
      unit({ indices: [0, 1] }),
      unit({ repeat: 1 }),
      unit({ answerFiles: [{ path: '/data/a-ift-test-results.json', sha256: 'ab' }] }),
      unit({ judge: { ...unit().judge, settings: { ...unit().judge.settings, temperature: 0.5 } } }),
      unit({ runDir: '/runs/b' }),
      unit({ template: 'study' }),
    ].map(judgeUnitJobId);
    for (const id of changed) expect(id).not.toBe(base);
    expect(new Set(changed).size).toBe(changed.length);
  });

  it('keeps the id when only the call concurrency changes, as it changes no verdict', () => {
    expect(judgeUnitJobId(unit({ judge: { ...unit().judge, settings: { ...unit().judge.settings, concurrency: 16 } } }))).toBe(judgeUnitJobId(unit()));
  });
});
