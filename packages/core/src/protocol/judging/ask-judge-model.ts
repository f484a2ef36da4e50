// One judge question, asked until the reply is usable: each unusable reply is asked again under the next attempt
// number (a new cache key), a failed call ends it, and every attempt's calls and tokens are added to the item's
// totals. What every judge that calls a model does; a plugin judge gets it from here.
import type { ChatModelProvider, ChatRequest, TokenLogprob } from '../../contracts/chat-model-provider.js';
import type { ChatCallRunner } from '../../contracts/judge-factory.js';
import type { JudgeItemResult } from '../../contracts/judge.js';

export type ParsedReply<T> = { value: T } | { error: string };

export interface JudgeQuestion<T> {
  calls: ChatCallRunner;
  provider: ChatModelProvider;
  request: ChatRequest;
  /** The item's repeat: part of every cache key. */
  repeat: number;
  /** Re-asks after an unusable reply. */
  retries: number;
  /** Turns a reply into a value, or says why it is unusable; `logprobs` when the request asked for them and they came. */
  parse: (reply: string, logprobs?: TokenLogprob[]) => ParsedReply<T>;
}

/** The counters of a JudgeItemResult that every attempt adds to. */
export type JudgeCallTotals = Pick<JudgeItemResult, 'attempts' | 'calls' | 'cachedCalls' | 'tokenUsage'>;

/**
 * The parsed value, or the failure (a failed call's reason starts with its ChatError kind, e.g. `timeout:`); with
 * the raw text of the last reply received (`reply`), so the run can record what the judge said. A failed call has
 * no reply.
 */
export async function askJudgeModel<T>(question: JudgeQuestion<T>, totals: JudgeCallTotals): Promise<{ value: T; reply: string } | { failure: string; reply?: string }> {
  let failure = 'no attempt made';
  let reply: string | undefined;
  for (let attempt = 0; attempt <= question.retries; attempt++) {
    const outcome = await question.calls.complete(question.provider, question.request, { repeat: question.repeat, attempt });
    totals.attempts++;
    if (outcome.cached) totals.cachedCalls++;
    else if (outcome.requests > 0) totals.calls++;
    totals.tokenUsage.prompt += outcome.tokenUsage.prompt;
    totals.tokenUsage.completion += outcome.tokenUsage.completion;
    if (outcome.error) return { failure: `${outcome.error.kind}: ${outcome.error.message}` };
    reply = outcome.output ?? '';
    const parsed = question.parse(reply, outcome.logprobs);
    if ('value' in parsed) return { value: parsed.value, reply };
    failure = `${parsed.error} (after ${attempt + 1} attempt${attempt === 0 ? '' : 's'})`;
  }
  return reply === undefined ? { failure } : { failure, reply };
}
