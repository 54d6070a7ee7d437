// The two rules of issue 12 item 3 on their own: when the engine refuses a partition (its committed
// offset disagrees with the stored progress), and which offset offsets:restore commits.
import { describe, expect, it } from 'vitest';
import type { TaggedOutcome } from '../../lib/db/progress.ts';
import { decide, type PartitionPlan } from '../../lib/jobs/restore-offsets.ts';
import { refusal } from '../../lib/kafka/progress.ts';

describe('refusal: committed offset against stored progress', () => {
  const stored = (lastOffset: bigint, storedFrom: number) => ({ lastOffset, storedFrom });

  it('nothing stored: never refused, with or without a committed offset', () => {
    expect(refusal(null, undefined, 200)).toBeUndefined();
    expect(refusal(7n, undefined, 200)).toBeUndefined();
  });

  it('no committed offset while effects are stored: refused, however few', () => {
    expect(refusal(null, stored(3n, 1), 200)).toBe('no-committed-offset');
    expect(refusal(null, stored(90_000n, 0), 200)).toBe('no-committed-offset');
  });

  it('committed offset with at most one batch of stored effects at or after it: the uncommitted tail, accepted', () => {
    expect(refusal(100n, stored(99n, 0), 200)).toBeUndefined();
    expect(refusal(100n, stored(350n, 200), 200)).toBeUndefined();
  });

  it('committed offset with more stored effects after it than one batch holds: moved back, refused', () => {
    expect(refusal(100n, stored(350n, 201), 200)).toBe('committed-behind');
    expect(refusal(0n, stored(5000n, 201), 200)).toBe('committed-behind');
  });
});

describe('decide: the offset offsets:restore commits', () => {
  const plan = (committed: bigint | null, logStart = 0n): PartitionPlan => ({
    partition: 0,
    committed,
    logStart,
    storedUpTo: null,
    lastOutput: null,
    target: null,
    action: 'keep',
    replays: 0,
    note: '',
  });
  /** outcomes tagged with these source offsets (job id = `j<offset>`), highest first */
  const rows = (...offsets: number[]): TaggedOutcome[] =>
    offsets
      .sort((a, b) => b - a)
      .map((o) => ({ jobId: `j${o}`, sourceOffset: BigInt(o), createdAt: new Date(0) }));
  const events = (...offsets: number[]) => new Set(offsets.map((o) => `j${o}`));

  it('one past the last committed output, not one past the highest stored outcome: the uncommitted tail is replayed', () => {
    // 10..14 committed with their events; 15..17 stored, their transaction never committed
    const d = decide(
      plan(null),
      rows(10, 11, 12, 13, 14, 15, 16, 17),
      100,
      events(10, 11, 12, 13, 14),
      undefined,
    );
    expect(d.action).toBe('set');
    expect(d.target).toBe(15n);
    expect(d.replays).toBe(3);
    expect(d.storedUpTo).toBe(17n);
  });

  it('a DLQ record later than the last event moves the offset past it (a poison record is not dead-lettered twice)', () => {
    const d = decide(plan(null), rows(10, 11), 100, events(10, 11), 13n);
    expect(d.target).toBe(14n);
    expect(d.replays).toBe(0);
  });

  it('no output ever committed and every outcome looked at: from the log start', () => {
    const d = decide(plan(null, 4n), rows(5, 6), 100, events(), undefined);
    expect(d.target).toBe(4n);
    expect(d.replays).toBe(2);
  });

  it('no committed output among the latest outcomes but older ones not looked at: undecided', () => {
    const d = decide(plan(null), rows(1, 2, 3, 4), 3, events(), undefined);
    expect(d.action).toBe('undecided');
    expect(d.target).toBeNull();
  });

  it('a committed offset at the committed outputs (or past output-free records) is kept', () => {
    expect(decide(plan(15n), rows(13, 14, 15), 100, events(13, 14), undefined).action).toBe('keep');
    expect(decide(plan(20n), rows(13, 14), 100, events(13, 14), undefined).action).toBe('keep');
  });

  it('a committed offset behind the outputs, or past outcomes never emitted, is set', () => {
    const behind = decide(plan(3n), rows(10, 11), 100, events(10, 11), undefined);
    expect([behind.action, behind.target]).toEqual(['set', 12n]);
    const past = decide(plan(30n), rows(13, 14, 15), 100, events(13), undefined);
    expect([past.action, past.target]).toEqual(['set', 14n]);
  });

  it('nothing stored, nothing dead-lettered: nothing to do', () => {
    expect(decide(plan(null), [], 100, events(), undefined).action).toBe('nothing-stored');
  });
});
