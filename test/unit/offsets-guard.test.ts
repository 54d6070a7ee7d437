// The two rules of issue 12 item 3 on their own: when the engine refuses a partition (its committed
// offset disagrees with the stored progress), and which offset offsets:restore commits.
import { describe, expect, it } from 'vitest';
import type { TaggedOutcome } from '../../lib/db/progress.ts';
import { decide, type PartitionPlan } from '../../lib/jobs/restore-offsets.ts';
import { refusal } from '../../lib/kafka/progress.ts';

describe('refusal: the group offset against the position recorded as committed', () => {
  it('nothing recorded (a partition whose first transaction never committed included): never refused', () => {
    expect(refusal(null, undefined)).toBeUndefined();
    expect(refusal(7n, undefined)).toBeUndefined();
  });

  it('no committed offset while a committed position was recorded: lost, refused', () => {
    expect(refusal(null, 1n)).toBe('no-committed-offset');
    expect(refusal(null, 90_000n)).toBe('no-committed-offset');
  });

  it('at or past the recorded position (the record lags the last commits): accepted', () => {
    expect(refusal(100n, 100n)).toBeUndefined();
    expect(refusal(150n, 100n)).toBeUndefined();
  });

  it('below the recorded position: moved back, refused', () => {
    expect(refusal(99n, 100n)).toBe('committed-behind');
    expect(refusal(0n, 5000n)).toBe('committed-behind');
  });
});

describe('decide: the offset offsets:restore commits', () => {
  const plan = (
    committed: bigint | null,
    logStart = 0n,
    recorded: bigint | null = null,
    logEnd = 1_000n,
  ): PartitionPlan => ({
    partition: 0,
    committed,
    logStart,
    logEnd,
    storedUpTo: null,
    lastOutput: null,
    recorded,
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

  it('a recorded committed position past the last output (records without outputs) raises the offset; it never passes the tail', () => {
    const d = decide(plan(null, 0n, 17n), rows(10, 11, 17, 18), 100, events(10, 11), undefined);
    expect([d.action, d.target, d.replays]).toEqual(['set', 17n, 2]);
    const behind = decide(plan(12n, 0n, 17n), rows(10, 11), 100, events(10, 11), undefined);
    expect([behind.action, behind.target]).toEqual(['set', 17n]);
  });

  it('outcomes all erased but a position recorded: back to the recorded position', () => {
    const d = decide(plan(null, 0n, 40n), [], 100, events(), undefined);
    expect([d.action, d.target]).toEqual(['set', 40n]);
  });

  it('outcomes or a recorded position past the log end (a cluster made afresh): undecided, nothing set', () => {
    // found from outside: after the broker's storage was formatted again, restore set partition 3 to 10 on
    // a new log holding 0–12 (skipping its new jobs) and partition 8 to 4 on a log ending at 3
    const ahead = decide(plan(null, 0n, 4n, 3n), rows(1, 2, 3), 100, events(1, 2, 3), undefined);
    expect([ahead.action, ahead.target]).toEqual(['undecided', null]);
    expect(ahead.note).toMatch(/log end/);
    const outputs = decide(plan(null, 0n, null, 12n), rows(20, 21), 100, events(20, 21), undefined);
    expect(outputs.action).toBe('undecided');
    // exactly at the log end is this log's next record: set
    expect(decide(plan(null, 0n, 12n, 12n), rows(10, 11), 100, events(10, 11), undefined).action).toBe('set');
  });

  it('nothing stored, nothing dead-lettered: nothing to do', () => {
    expect(decide(plan(null), [], 100, events(), undefined).action).toBe('nothing-stored');
  });
});
