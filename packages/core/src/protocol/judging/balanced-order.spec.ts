import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { balancedOrder, basePermutation } from './balanced-order.js';

describe('balancedOrder', () => {
  it('is a permutation for every item', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 12 }), fc.nat(1000), fc.integer(), (models, index, seed) => {
        expect([...balancedOrder(models, index, { seed })].sort((a, b) => a - b)).toEqual(Array.from({ length: models }, (_, i) => i));
      }),
    );
  });

  it('puts every model in every slot exactly once over any N consecutive items', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 10 }), fc.nat(500), fc.integer(), (models, start, seed) => {
        const counts = Array.from({ length: models }, () => new Array<number>(models).fill(0));
        for (let index = start; index < start + models; index++) {
          balancedOrder(models, index, { seed }).forEach((model, slot) => (counts[model] as number[])[slot]!++);
        }
        for (const row of counts) expect(row).toEqual(new Array<number>(models).fill(1));
      }),
    );
  });

  it('repeats exactly for a seed and differs between seeds', () => {
    expect(balancedOrder(5, 7, { seed: 1 })).toEqual(balancedOrder(5, 7, { seed: 1 }));
    const orders = new Set(Array.from({ length: 20 }, (_, seed) => basePermutation(5, { seed }).join(',')));
    expect(orders.size).toBeGreaterThan(5);
  });

  it('re-seeds per repeat only when asked', () => {
    expect(basePermutation(6, { seed: 9, repeat: 1 })).toEqual(basePermutation(6, { seed: 9, repeat: 0 }));
    const reseeded = Array.from({ length: 5 }, (_, repeat) => basePermutation(6, { seed: 9, repeat, reseedPerRepeat: true }).join(','));
    expect(reseeded[0]).toBe(basePermutation(6, { seed: 9 }).join(','));
    expect(new Set(reseeded).size).toBeGreaterThan(1);
  });

  it('rotates the base permutation by the item index', () => {
    const base = basePermutation(4, { seed: 3 });
    expect(balancedOrder(4, 0, { seed: 3 })).toEqual(base);
    expect(balancedOrder(4, 1, { seed: 3 })).toEqual([base[1], base[2], base[3], base[0]]);
    expect(balancedOrder(4, 5, { seed: 3 })).toEqual(balancedOrder(4, 1, { seed: 3 }));
  });
});
