// The evaluator's document budget: concurrent holders never exceed it (negative control: with a budget
// as large as the sum, they do overlap), one job larger than the budget still runs (alone), and loads
// started together become one fetch.
import { describe, expect, it } from 'vitest';
import { byteBudget } from '../../lib/jobs/text-budget.ts';
import { batchedLoader } from '../../lib/util/batched.ts';

async function peakInUse(capacity: number, sizes: number[]): Promise<number> {
  const budget = byteBudget(capacity);
  let peak = 0;
  await Promise.all(
    sizes.map(async (bytes) => {
      const release = await budget.take(bytes);
      peak = Math.max(peak, budget.inUse);
      await new Promise((r) => setTimeout(r, 5));
      release();
    }),
  );
  expect(budget.inUse).toBe(0);
  return peak;
}

describe('byteBudget', () => {
  it('holds at most its capacity at once, whatever the number of takers', async () => {
    expect(
      await peakInUse(
        100,
        Array.from({ length: 50 }, () => 30),
      ),
    ).toBeLessThanOrEqual(100);
  });

  it('negative control: a budget as large as the sum lets every taker hold at once', async () => {
    expect(
      await peakInUse(
        1500,
        Array.from({ length: 50 }, () => 30),
      ),
    ).toBe(1500);
  });

  it('a taker larger than the budget runs alone instead of waiting forever', async () => {
    expect(await peakInUse(100, [40, 500, 40])).toBe(100);
  });

  it('a release twice frees the bytes once', async () => {
    const budget = byteBudget(10);
    const release = await budget.take(10);
    release();
    release();
    expect(budget.inUse).toBe(0);
    await budget.take(10);
    expect(budget.inUse).toBe(10);
  });
});

describe('batchedLoader', () => {
  it('loads started in one tick become one call; each caller gets its own value', async () => {
    const calls: string[][] = [];
    const load = batchedLoader(async (keys: string[]) => {
      calls.push(keys);
      return new Map(keys.filter((k) => k !== 'gone').map((k) => [k, k.toUpperCase()]));
    });
    const values = await Promise.all(['a', 'b', 'a', 'gone'].map(load));
    expect(values).toEqual(['A', 'B', 'A', undefined]);
    expect(calls).toEqual([['a', 'b', 'gone']]);
    await load('c');
    expect(calls).toHaveLength(2);
  });
});
