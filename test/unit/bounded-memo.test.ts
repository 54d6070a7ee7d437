// The bounded memo behind the per-position caches (job descriptions, briefs, rubrics): computed once per
// distinct input, never more than its maximum entries, the least recently used dropped first.
import { describe, expect, it } from 'vitest';
import { BoundedMap, boundedMemo } from '../../lib/util/bounded-memo.ts';

describe('boundedMemo', () => {
  it('computes once per input and returns the same value', () => {
    let calls = 0;
    const memo = boundedMemo((s: string) => ({ n: ++calls, s }));
    const first = memo('a');
    expect(memo('a')).toBe(first);
    expect(calls).toBe(1);
  });

  it('keeps at most max entries and drops the least recently used', () => {
    const seen: string[] = [];
    const memo = boundedMemo((s: string) => {
      seen.push(s);
      return s.toUpperCase();
    }, 2);
    memo('a');
    memo('b');
    memo('a'); // a is now the most recently used
    memo('c'); // drops b
    memo('a');
    memo('b'); // computed again
    expect(seen).toEqual(['a', 'b', 'c', 'b']);
  });

  it('does not remember an input that throws', () => {
    let calls = 0;
    const memo = boundedMemo((s: string) => {
      calls += 1;
      throw new Error(s);
    });
    expect(() => memo('x')).toThrow('x');
    expect(() => memo('x')).toThrow('x');
    expect(calls).toBe(2);
  });
});

describe('BoundedMap', () => {
  it('keeps at most max entries; get and set make an entry the most recently used', () => {
    const map = new BoundedMap<string, number>(2);
    map.set('a', 1).set('b', 2);
    expect(map.get('a')).toBe(1); // a is now the most recently used
    map.set('c', 3); // drops b
    expect([map.has('a'), map.has('b'), map.has('c')]).toEqual([true, false, true]);
    map.set('a', 4); // refreshed: c is now the oldest
    map.set('d', 5);
    expect([map.get('a'), map.has('c'), map.get('d'), map.size]).toEqual([4, false, 5, 2]);
    expect(map.delete('a')).toBe(true);
    expect(map.get('a')).toBeUndefined();
  });
});
