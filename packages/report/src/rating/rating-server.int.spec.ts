// The rating server over real HTTP: it files slot scores under the right models and refuses what it cannot file.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ratingOrder, type RatingRecord, type RunItems } from '@judgekit/core';
import { startRatingServer, type RatingServer } from './rating-server.js';

const items: RunItems = {
  items: [0, 1, 2].map((i) => ({ index: i, instruction: `i${i}`, input: '', output: `o${i}`, prompt: '' })),
  models: ['m-one', 'm-two'].map((name) => ({ name, responses: ['a', 'b', 'c'] })),
};
let dir: string;
let server: RatingServer;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'judgekit-rating-server-'));
  server = await startRatingServer({ runDir: dir, items, scale: '100' });
});
afterAll(async () => {
  await server.close();
  await rm(dir, { recursive: true, force: true });
});

const post = (body: unknown, type = 'application/json') => fetch(new URL('api/ratings', server.url), { method: 'POST', headers: { 'content-type': type }, body: JSON.stringify(body) });

describe('the rating server', () => {
  it('asks for a rater id, then files a posted rating under the models in that slot order and reports it done', async () => {
    expect(await (await fetch(server.url)).text()).toContain('Your rater id');
    const response = await post({ rater: 'ann', item: 1, scale: '100', slotScores: [70, 20], elapsedMs: 5 });
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ ok: true, done: [1] });
    const [line] = (await readFile(join(dir, 'ratings.jsonl'), 'utf8')).trim().split('\n').map((l) => JSON.parse(l) as RatingRecord);
    const order = ratingOrder('ann', 1, 2).map((m) => ['m-one', 'm-two'][m] as string);
    expect(line).toMatchObject({ rater: 'ann', item: 1, order, scores: { [order[0]!]: 70, [order[1]!]: 20 }, elapsedMs: 5 });
    expect(await (await fetch(new URL('api/state?rater=ann', server.url))).json()).toMatchObject({ done: [1] });
    expect(await (await fetch(new URL('?rater=ann', server.url))).text()).toContain('"done":{"1":[70,20]}');
  });

  it.each([
    [{ rater: 'ann', item: 0, scale: '10', slotScores: [1, 2] }, 'application/json', 400, 'rates on the 100 scale'],
    [{ rater: 'ann', item: 0, scale: '100', slotScores: [1, 101] }, 'application/json', 400, 'Slot 2 has score 101'],
    [{ rater: 'ann', item: 7, scale: '100', slotScores: [1, 2] }, 'application/json', 400, 'not in items.json'],
    [{ rater: 'ann', item: 0, scale: '100', slotScores: [1, 2] }, 'text/plain', 415, 'application/json'],
  ])('refuses %j sent as %s with %i and says why', async (body, type, status, message) => {
    const response = await post(body, type);
    expect(response.status).toBe(status);
    expect(((await response.json()) as { error: string }).error).toContain(message);
  });
});
