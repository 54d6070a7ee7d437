// The group writer: groups of at most groupSize, a lone item written within maxDelayMs, one write at a
// time in order, nothing written after a failure, and the failure raised by finish().
import { describe, expect, it, vi } from 'vitest';
import { groupWriter } from '../../lib/util/group-writer.ts';

describe('groupWriter', () => {
  it('writes full groups at once and the rest on finish, in order, one write at a time', async () => {
    const groups: number[][] = [];
    let writing = 0;
    let overlapped = false;
    const w = groupWriter<number>(
      async (g) => {
        overlapped ||= writing > 0;
        writing += 1;
        await new Promise((r) => setTimeout(r, 5));
        groups.push(g);
        writing -= 1;
      },
      { groupSize: 3, maxDelayMs: 10_000 },
    );
    for (let i = 0; i < 7; i++) w.add(i);
    await vi.waitFor(() => expect(groups).toHaveLength(2), { timeout: 5_000 });
    // the seventh waits for finish (its maxDelayMs is far away)
    expect(groups).toEqual([
      [0, 1, 2],
      [3, 4, 5],
    ]);
    await w.finish();
    expect(groups).toEqual([[0, 1, 2], [3, 4, 5], [6]]);
    expect(overlapped).toBe(false);
  });

  it('writes a lone item within maxDelayMs, before finish', async () => {
    const groups: string[][] = [];
    const w = groupWriter<string>(async (g) => void groups.push(g), { groupSize: 16, maxDelayMs: 20 });
    w.add('a');
    expect(groups).toEqual([]);
    await vi.waitFor(() => expect(groups).toEqual([['a']]), { timeout: 5_000 });
    await w.finish();
    expect(groups).toEqual([['a']]);
  });

  it('after a failed write writes nothing more, and finish raises that failure', async () => {
    const groups: number[][] = [];
    const w = groupWriter<number>(
      async (g) => {
        if (g.includes(1)) throw new Error('database gone');
        groups.push(g);
      },
      { groupSize: 1, maxDelayMs: 10 },
    );
    w.add(0);
    w.add(1);
    w.add(2);
    await expect(w.finish()).rejects.toThrow('database gone');
    expect(groups).toEqual([[0]]);
  });
});
