import { describe, expect, it } from 'vitest';
import { ratingOrder, type RatingRecord, type RunItems } from '@judgekit/core';
import { ratingPageData, renderRatingPage } from './rating-page.js';

const NAMES = ['model-north', 'model-south', 'model-east'];
const items: RunItems = {
  items: Array.from({ length: 4 }, (_, i) => ({ index: 10 + i, instruction: `Instruction ${i} </script><b>`, input: '', output: `Reference ${i}`, prompt: '' })),
  models: NAMES.map((name, m) => ({ name, responses: Array.from({ length: 4 }, (_, i) => `answer ${m}-${i}`) })),
};

describe('ratingPageData', () => {
  it("lists each item's answers in the rater's slot order and carries no model name", () => {
    const data = ratingPageData(items, { rater: 'ann', scale: '100', mode: 'served' });
    data.items.forEach((item, p) => expect(item.answers).toEqual(ratingOrder('ann', p, 3).map((m) => `answer ${m}-${p}`)));
    const page = renderRatingPage(items, { rater: 'ann', scale: '100', mode: 'served' });
    for (const name of NAMES) expect(page).not.toContain(name);
    expect(page).not.toContain('</script><b>');
  });

  it("turns the rater's earlier ratings into slot scores and ignores other raters' and other scales'", () => {
    const order = ratingOrder('ann', 1, 3).map((m) => NAMES[m] as string);
    const scores = Object.fromEntries(order.map((name, k) => [name, 10 * (k + 1)]));
    const previous: RatingRecord[] = [
      { rater: 'ann', item: 11, scale: '100', order, scores, time: 't' },
      { rater: 'bob', item: 12, scale: '100', order, scores, time: 't' },
      { rater: 'ann', item: 13, scale: '10', order, scores: { [NAMES[0]!]: 1, [NAMES[1]!]: 2, [NAMES[2]!]: 3 }, time: 't' },
    ];
    expect(ratingPageData(items, { rater: 'ann', scale: '100', mode: 'served', previous }).done).toEqual({ '11': [10, 20, 30] });
  });
});
