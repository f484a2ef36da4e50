// What a judge unit's calls cost, measured on the worker and reported with the unit's result, so the coordinator
// records it in the run's spend.jsonl and run.json. A worker makes several units at once with one call runner per
// judge: each request is told to the unit whose code made it through the async context.
//
// Known gap: a delivery that returns no result (its worker died, or the unit threw and is retried) reports nothing
// of what it paid for. The unit is delivered again; the calls whose replies reached the shared cache are answered
// from it at no cost (reported as 0 requests), the ones still in flight are made and reported again. spend.jsonl is
// then short by the calls of the lost delivery; only the provider's bill has them.
import { AsyncLocalStorage } from 'node:async_hooks';
import type { JudgeItemResult, RemoteCallStats, Spend, SpendListener } from '@judgekit/core';

/** The requests a unit sent to the judge's provider (retries included), how many failed, and their tokens. */
export interface UnitSpend {
  requests: number;
  failed: number;
  tokenUsage: { prompt: number; completion: number };
}

/** Adds every request paid for inside `measure` to that unit's spend. */
export class UnitSpendMeter {
  readonly #units = new AsyncLocalStorage<UnitSpend>();

  /** Give this to the judge's call runner (`onSpend`). */
  readonly listener: SpendListener = (spend: Spend) => {
    const unit = this.#units.getStore();
    if (!unit) return;
    unit.requests += spend.requests;
    unit.failed += spend.failed;
    unit.tokenUsage.prompt += spend.tokenUsage.prompt;
    unit.tokenUsage.completion += spend.tokenUsage.completion;
  };

  async measure<T>(work: () => Promise<T>): Promise<{ value: T; spend: UnitSpend }> {
    const spend: UnitSpend = { requests: 0, failed: 0, tokenUsage: { prompt: 0, completion: 0 } };
    const value = await this.#units.run(spend, work);
    return { value, spend };
  }
}

/**
 * The call runner's counters for a unit, from its items' results and its spend: a call answered over the network
 * took one request plus its retries, and every retry followed a failed request, so the failed requests that were
 * not followed by a retry are the calls that failed.
 */
export function unitCallStats(results: readonly JudgeItemResult[], spend: UnitSpend): RemoteCallStats {
  const networkCalls = results.reduce((sum, result) => sum + result.calls, 0);
  const cachedCalls = results.reduce((sum, result) => sum + result.cachedCalls, 0);
  const retries = Math.max(0, spend.requests - networkCalls);
  const failedCalls = Math.max(0, Math.min(networkCalls, spend.failed - retries));
  return { calls: networkCalls - failedCalls, requests: spend.requests, cachedCalls, failedCalls, retries, tokenUsage: { ...spend.tokenUsage } };
}
