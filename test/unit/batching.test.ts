import { describe, expect, it } from 'vitest';
import { slotFor } from '../../lib/kafka/request-publisher.ts';
import { batched } from '../../lib/util/batched.ts';
import { ttlCache } from '../../lib/util/ttl-cache.ts';

describe('batched', () => {
  it('runs the calls made in one tick as one operation, and settles each caller', async () => {
    const runs: number[][] = [];
    const add = batched<number>(async (items) => {
      runs.push(items);
    });
    await Promise.all([add(1), add(2), add(3)]);
    await add(4);
    expect(runs).toEqual([[1, 2, 3], [4]]);
  });

  it('rejects every caller of a failed batch', async () => {
    const add = batched<number>(async () => {
      throw new Error('db down');
    });
    const results = await Promise.allSettled([add(1), add(2)]);
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected']);
  });
});

describe('ttlCache', () => {
  it('forgets entries after their time', async () => {
    const cache = ttlCache<string>(30);
    cache.set('k', 'v');
    expect(cache.get('k')).toBe('v');
    await new Promise((r) => setTimeout(r, 40));
    expect(cache.get('k')).toBeUndefined();
  });
});

describe('request slots', () => {
  it('the same key always takes the same slot, and keys spread over the slots', () => {
    expect(slotFor('job-1', 4)).toBe(slotFor('job-1', 4));
    const used = new Set(Array.from({ length: 200 }, (_, i) => slotFor(`job-${i}`, 4)));
    expect(used).toEqual(new Set([0, 1, 2, 3]));
  });
});
