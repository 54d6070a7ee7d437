// kafkajs' read_committed filter against ours, on a partition where two producers' aborted transactions
// interleave and the broker lists them in the order they ended (not by first offset).
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { type FetchedRecord, installReadCommittedFix, markAborted } from '../../lib/kafka/read-committed.ts';

const data = (offset: number, producerId: string, inTransaction = true): FetchedRecord => ({
  offset: String(offset),
  key: Buffer.from(`k${offset}`),
  batchContext: { producerId, inTransaction },
});
const marker = (offset: number, producerId: string, type: 'abort' | 'commit'): FetchedRecord => ({
  offset: String(offset),
  key: Buffer.from([0, 0, 0, type === 'abort' ? 0 : 1]),
  isControlRecord: true,
  batchContext: { producerId, inTransaction: true },
});

/** A aborted (0, 5), B committed (1, 7), C aborted (3): C ended first, so the broker lists it first. */
function partition(): { records: FetchedRecord[]; aborted: { producerId: string; firstOffset: string }[] } {
  return {
    records: [
      data(0, 'A'),
      data(1, 'B'),
      data(2, 'N', false), // not transactional
      data(3, 'C'),
      marker(4, 'C', 'abort'),
      data(5, 'A'),
      marker(6, 'A', 'abort'),
      data(7, 'B'),
      marker(8, 'B', 'commit'),
      data(9, 'A'), // A's next transaction, committed
      marker(10, 'A', 'commit'),
    ],
    aborted: [
      { producerId: 'C', firstOffset: '3' },
      { producerId: 'A', firstOffset: '0' },
    ],
  };
}

const visible = (records: FetchedRecord[]) =>
  records.filter((r) => !r.isControlRecord).map((r) => Number(r.offset));

describe('read_committed filtering', () => {
  it('hides exactly the records of aborted transactions', () => {
    const { records, aborted } = partition();
    expect(markAborted(records, aborted)).toBe(3);
    expect(visible(records)).toEqual([1, 2, 7, 9]);
  });

  it("negative control: kafkajs 2.2.4's own filter lets an aborted record through on the same partition", () => {
    const require = createRequire(import.meta.url);
    const filter = require('kafkajs/src/consumer/filterAbortedMessages') as (o: {
      messages: FetchedRecord[];
      abortedTransactions: { producerId: string; firstOffset: string }[];
    }) => FetchedRecord[];
    const { records, aborted } = partition();
    const kept = visible(filter({ messages: records, abortedTransactions: aborted }));
    expect(kept).toContain(0); // A's aborted record at offset 0
    expect(kept).not.toEqual([1, 2, 7, 9]);
  });

  it('is installed where kafkajs decodes fetch responses', async () => {
    const require = createRequire(import.meta.url);
    const v11 = require('kafkajs/src/protocol/requests/fetch/v11/response') as { decode: unknown };
    const original = v11.decode;
    installReadCommittedFix();
    installReadCommittedFix(); // idempotent: wrapped once
    const wrapped = v11.decode;
    expect(wrapped).not.toBe(original);
    installReadCommittedFix();
    expect(v11.decode).toBe(wrapped);
  });
});
