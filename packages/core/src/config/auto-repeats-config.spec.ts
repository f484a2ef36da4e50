import { describe, expect, it } from 'vitest';
import { JudgekitError } from '../errors.js';
import { validateStudyConfig } from './study-config.js';

describe('study config: judges[].repeats "auto"', () => {
  it('accepts repeats "auto" with its autoRepeats settings, and a fixed integer as before', () => {
    const config = { judges: [{ mode: 'single', judge: 'openai:gpt-4o-mini', repeats: 'auto', autoRepeats: { min: 2, max: 6, targetCiWidth: 4, spendShare: 0.9 } }, { mode: 'batched', judge: 'openai:gpt-4o-mini', repeats: 3 }] };
    expect(validateStudyConfig(config, 'study.json')).toBe(config);
  });

  it.each([
    [{ judges: [{ mode: 'single', repeats: 'sometimes' }] }, /\/judges\/0\/repeats/],
    [{ judges: [{ mode: 'single', repeats: 'auto', autoRepeats: { max: 1 } }] }, /\/judges\/0\/autoRepeats\/max: must be >= 2/],
    [{ judges: [{ mode: 'single', repeats: 'auto', autoRepeats: { maximum: 4 } }] }, /\/judges\/0\/autoRepeats: unknown field "maximum"/],
  ])('rejects %j naming the field', (config, message) => {
    try {
      validateStudyConfig(config, 'study.json');
      expect.unreachable();
    } catch (error) {
      expect(JudgekitError.is(error, 'config')).toBe(true);
      expect((error as Error).message).toMatch(message);
    }
  });
});
