// Position bias in batched judging. The raw mean by slot confounds slot with whichever models happened to sit
// there; the additive model score ~ call + model + slot (least squares, solved by backfitting) separates them.
// "call" is one (item, repeat) batched call, so the per-call mood of the judge is absorbed too. With a balanced
// rotation of the order, slot and model are nearly orthogonal and the fit is well determined.
import { bootstrapCI, type BootstrapOptions } from './bootstrap.js';
import { finiteMean, type JudgeScores } from './judge-scores.js';
import { meanWithCI, type ModelScoreSummary } from './model-scores.js';

export interface AdditiveObservations {
  y: Float64Array;
  group: Int32Array;
  model: Int32Array;
  slot: Int32Array;
  groups: number;
  models: number;
  slots: number;
}

export interface AdditiveFit {
  /** Mean of the group (call) effects; the fitted value is grand + groupEffect' + model + slot. */
  grand: number;
  /** Model effects, centred to sum to zero over models with data (NaN where none). */
  model: number[];
  /** Slot effects, centred to sum to zero over slots with data (index 0 = slot 1; NaN where none). */
  slot: number[];
  iterations: number;
}

/** Least-squares fit of y ~ group + model + slot (all categorical) by backfitting; exact at convergence. */
export function fitAdditiveEffects(obs: AdditiveObservations, length = obs.y.length, tolerance = 1e-9, maxIterations = 2000): AdditiveFit {
  const a = new Float64Array(obs.groups);
  const b = new Float64Array(obs.models);
  const c = new Float64Array(obs.slots);
  const countA = new Float64Array(obs.groups);
  const countB = new Float64Array(obs.models);
  const countC = new Float64Array(obs.slots);
  for (let k = 0; k < length; k++) {
    countA[obs.group[k] as number]! += 1;
    countB[obs.model[k] as number]! += 1;
    countC[obs.slot[k] as number]! += 1;
  }
  const sum = new Float64Array(Math.max(obs.groups, obs.models, obs.slots));
  let iterations = 0;
  const y = obs.y;
  const groupOf = obs.group;
  const modelOf = obs.model;
  const slotOf = obs.slot;
  const update = (effect: Float64Array, counts: Float64Array, index: Int32Array, other1: Float64Array, index1: Int32Array, other2: Float64Array, index2: Int32Array): number => {
    sum.fill(0, 0, effect.length);
    for (let k = 0; k < length; k++) sum[index[k] as number]! += (y[k] as number) - (other1[index1[k] as number] as number) - (other2[index2[k] as number] as number);
    let change = 0;
    for (let j = 0; j < effect.length; j++) {
      const count = counts[j] as number;
      if (count === 0) continue;
      const next = (sum[j] as number) / count;
      change = Math.max(change, Math.abs(next - (effect[j] as number)));
      effect[j] = next;
    }
    return change;
  };
  while (iterations < maxIterations) {
    iterations++;
    let change = update(a, countA, groupOf, b, modelOf, c, slotOf);
    change = Math.max(change, update(b, countB, modelOf, a, groupOf, c, slotOf));
    change = Math.max(change, update(c, countC, slotOf, a, groupOf, b, modelOf));
    if (change < tolerance) break;
  }
  const centre = (effect: Float64Array, counts: Float64Array): [number[], number] => {
    const present = [...effect].filter((_, j) => (counts[j] as number) > 0);
    const shift = present.length === 0 ? 0 : present.reduce((s, v) => s + v, 0) / present.length;
    return [[...effect].map((v, j) => ((counts[j] as number) > 0 ? v - shift : Number.NaN)), shift];
  };
  const [model, shiftB] = centre(b, countB);
  const [slot, shiftC] = centre(c, countC);
  let grand = 0;
  let groups = 0;
  for (let g = 0; g < obs.groups; g++) {
    if ((countA[g] as number) === 0) continue;
    grand += a[g] as number;
    groups++;
  }
  return { grand: (groups === 0 ? 0 : grand / groups) + shiftB + shiftC, model, slot, iterations };
}

export interface SlotSummary {
  /** 1-based slot. */
  slot: number;
  observations: number;
  /** Raw mean score of answers shown in this slot, CI by bootstrap over items. */
  rawMean: number;
  rawCi95: [number, number];
  /** Additive-model slot effect (points relative to the average slot), CI by bootstrap over items. */
  effect: number;
  effectCi95: [number, number];
}

export interface PositionBias {
  judge: string;
  slots: SlotSummary[];
  /** Largest minus smallest slot effect. */
  effectRange: number;
  /** Per model: mean after subtracting the effect of the slot each answer was shown in. */
  corrected: ModelScoreSummary[];
  /** Additive-model model effects + grand mean: the model's score on an average call in an average slot. */
  modelEstimates: Array<{ model: string; estimate: number }>;
  observations: number;
}

/** Position bias for a judge whose scores carry positions; null when none do. */
export function positionBias(judge: JudgeScores, options: BootstrapOptions = {}): PositionBias | null {
  const R = judge.repeats.length;
  const I = judge.items.length;
  const M = judge.models.length;
  // Observations grouped by item so a bootstrap over items can copy whole blocks.
  const perItem: Array<Array<{ y: number; r: number; m: number; s: number }>> = [];
  let slots = 0;
  for (let i = 0; i < I; i++) {
    const list: Array<{ y: number; r: number; m: number; s: number }> = [];
    for (let r = 0; r < R; r++) {
      for (let m = 0; m < M; m++) {
        const y = ((judge.scores[r] as number[][])[i] as number[])[m] as number;
        const position = ((judge.positions[r] as number[][])[i] as number[])[m] as number;
        if (Number.isNaN(y) || position <= 0) continue;
        list.push({ y, r, m, s: position - 1 });
        slots = Math.max(slots, position);
      }
    }
    perItem.push(list);
  }
  const total = perItem.reduce((s, l) => s + l.length, 0);
  if (total === 0) return null;
  const maxPerItem = Math.max(...perItem.map((l) => l.length));
  const capacity = Math.max(total, maxPerItem * I);
  const obs: AdditiveObservations = {
    y: new Float64Array(capacity),
    group: new Int32Array(capacity),
    model: new Int32Array(capacity),
    slot: new Int32Array(capacity),
    groups: I * R,
    models: M,
    slots,
  };
  const fill = (chosen: ArrayLike<number>): number => {
    let k = 0;
    for (let n = 0; n < chosen.length; n++) {
      for (const o of perItem[chosen[n] as number] as Array<{ y: number; r: number; m: number; s: number }>) {
        obs.y[k] = o.y;
        obs.group[k] = n * R + o.r;
        obs.model[k] = o.m;
        obs.slot[k] = o.s;
        k++;
      }
    }
    return k;
  };
  const identity = Int32Array.from({ length: I }, (_, i) => i);
  const fit = fitAdditiveEffects(obs, fill(identity));
  // Each resample refits the model; 1000 percentile draws are plenty for a 95% interval and halve the cost.
  const resamples = Math.min(options.resamples ?? 1000, 1000);
  const effectCIs: Array<[number, number]> = [];
  const rawMeans: number[] = [];
  const rawCIs: Array<[number, number]> = [];
  const counts: number[] = [];
  // One bootstrap per slot would refit `slots` times as often; instead fit once per resample and keep all slots.
  const draws: number[][] = Array.from({ length: slots }, () => []);
  const rawDraws: number[][] = Array.from({ length: slots }, () => []);
  bootstrapCI(
    I,
    (indices) => {
      const length = fill(indices);
      const f = fitAdditiveEffects(obs, length, 1e-5, 500);
      const sums = new Float64Array(slots);
      const ns = new Float64Array(slots);
      for (let k = 0; k < length; k++) {
        sums[obs.slot[k] as number]! += obs.y[k] as number;
        ns[obs.slot[k] as number]! += 1;
      }
      for (let s = 0; s < slots; s++) {
        const e = f.slot[s] as number;
        if (!Number.isNaN(e)) (draws[s] as number[]).push(e);
        if ((ns[s] as number) > 0) (rawDraws[s] as number[]).push((sums[s] as number) / (ns[s] as number));
      }
      return 0;
    },
    { ...options, resamples, seed: `${String(options.seed ?? 'position')}/${judge.judge}` },
  );
  const level = options.level ?? 0.95;
  const percentile = (values: number[]): [number, number] => {
    if (values.length === 0) return [Number.NaN, Number.NaN];
    const sorted = values.slice().sort((x, y) => x - y);
    const q = (p: number): number => {
      const position = (sorted.length - 1) * p;
      const lo = Math.floor(position);
      const hi = Math.ceil(position);
      return (sorted[lo] as number) + ((sorted[hi] as number) - (sorted[lo] as number)) * (position - lo);
    };
    return [q((1 - level) / 2), q(1 - (1 - level) / 2)];
  };
  for (let s = 0; s < slots; s++) {
    let sum = 0;
    let n = 0;
    for (const list of perItem) for (const o of list) if (o.s === s) {
      sum += o.y;
      n++;
    }
    counts.push(n);
    rawMeans.push(n === 0 ? Number.NaN : sum / n);
    rawCIs.push(percentile(rawDraws[s] as number[]));
    effectCIs.push(percentile(draws[s] as number[]));
  }
  const slotSummaries: SlotSummary[] = fit.slot.map((effect, s) => ({
    slot: s + 1,
    observations: counts[s] as number,
    rawMean: rawMeans[s] as number,
    rawCi95: rawCIs[s] as [number, number],
    effect,
    effectCi95: effectCIs[s] as [number, number],
  }));
  const finiteEffects = fit.slot.filter((e) => !Number.isNaN(e));
  // Corrected cells: subtract the slot effect where the slot is known, then the usual item-mean-over-repeats.
  const corrected = judge.models.map((model, m) => {
    const itemMeans = judge.items.map((_, i) => {
      const values: number[] = [];
      for (let r = 0; r < R; r++) {
        const y = ((judge.scores[r] as number[][])[i] as number[])[m] as number;
        if (Number.isNaN(y)) continue;
        const position = ((judge.positions[r] as number[][])[i] as number[])[m] as number;
        const effect = position > 0 ? (fit.slot[position - 1] ?? 0) : 0;
        values.push(y - (Number.isNaN(effect) ? 0 : effect));
      }
      return finiteMean(values);
    });
    const { mean, ci95, n } = meanWithCI(itemMeans, { ...options, seed: `${String(options.seed ?? 'corrected')}/${model}` });
    const scored = judge.scored[m] as number;
    const failed = judge.failed[m] as number;
    return { model, mean, ci95, items: n, scored, failed, failureRate: scored + failed === 0 ? Number.NaN : failed / (scored + failed) };
  });
  return {
    judge: judge.judge,
    slots: slotSummaries,
    effectRange: finiteEffects.length === 0 ? Number.NaN : Math.max(...finiteEffects) - Math.min(...finiteEffects),
    corrected,
    modelEstimates: judge.models.map((model, m) => ({ model, estimate: fit.grand + (fit.model[m] as number) })),
    observations: total,
  };
}
