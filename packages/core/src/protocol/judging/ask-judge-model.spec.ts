import { describe, expect, it } from 'vitest';
import type { ChatModelProvider } from '../../contracts/chat-model-provider.js';
import type { ChatCallOutcome, ChatCallRunner } from '../../contracts/judge-factory.js';
import { askJudgeModel, type JudgeCallTotals, type ParsedReply } from './ask-judge-model.js';

const provider: ChatModelProvider = { id: 'fake', cacheIdentity: {}, complete: async () => ({ tokenUsage: { prompt: 0, completion: 0 }, latencyMs: 0 }) };

/** Replies in turn; records the attempt number of each call. */
function scripted(replies: Array<Partial<ChatCallOutcome>>): ChatCallRunner & { attempts: number[] } {
  const attempts: number[] = [];
  return {
    attempts,
    complete: async (_provider, _request, context) => {
      attempts.push(context.attempt ?? 0);
      const reply = replies[attempts.length - 1] ?? {};
      return { tokenUsage: { prompt: 10, completion: 2 }, latencyMs: 1, requests: 1, ...reply };
    },
  };
}

const parse = (reply: string): ParsedReply<number> => (/^\d+$/.test(reply.trim()) ? { value: Number(reply) } : { error: `not a number: "${reply}"` });
const totals = (): JudgeCallTotals => ({ attempts: 0, calls: 0, cachedCalls: 0, tokenUsage: { prompt: 0, completion: 0 } });

describe('askJudgeModel', () => {
  it('re-asks an unusable reply under the next attempt number, counts every call and returns the usable reply text', async () => {
    const calls = scripted([{ output: 'seventy' }, { output: '70', cached: true, requests: 0 }]);
    const counted = totals();
    const answer = await askJudgeModel({ calls, provider, request: { model: 'm', messages: [] }, repeat: 2, retries: 2, parse }, counted);
    expect(answer).toEqual({ value: 70, reply: '70' });
    expect(calls.attempts).toEqual([0, 1]);
    expect(counted).toEqual({ attempts: 2, calls: 1, cachedCalls: 1, tokenUsage: { prompt: 20, completion: 4 } });
  });

  it('gives up after the retries with the last reason and the last reply text, and stops at a failed call', async () => {
    const unusable = await askJudgeModel({ calls: scripted([{ output: 'a' }, { output: 'b' }]), provider, request: { model: 'm', messages: [] }, repeat: 0, retries: 1, parse }, totals());
    expect(unusable).toEqual({ failure: 'not a number: "b" (after 2 attempts)', reply: 'b' });
    const failed = scripted([{ error: { kind: 'timeout', message: 'no reply in 5 s' } }, { output: '1' }]);
    expect(await askJudgeModel({ calls: failed, provider, request: { model: 'm', messages: [] }, repeat: 0, retries: 3, parse }, totals())).toEqual({ failure: 'timeout: no reply in 5 s' });
    expect(failed.attempts).toEqual([0]);
  });
});
