// Reads the committed records of a topic written since a point in time, up to the end the topic had
// when asked (read_committed). For operator tools that must know what a topic holds, not for pipelines:
// a throwaway group, nothing committed, the group deleted afterwards.
import { randomBytes } from 'node:crypto';
import type { IHeaders, Kafka } from 'kafkajs';

export interface TailRecord {
  partition: number;
  offset: string;
  key: Buffer | null;
  value: Buffer | null;
  headers: IHeaders;
}

export interface Tail {
  records: TailRecord[];
  /**
   * false when retention may already have deleted records written after `sinceMs`: some partition's
   * oldest record left is at or after that time and older ones were deleted.
   */
  complete: boolean;
}

/**
 * Every committed record of `topic` from `sinceMs` (a timestamp) to the end offsets of the moment it is
 * called. Throws when that end is not reached within `timeoutMs`: a transaction left open holds the
 * last stable offset back, and a partial read must not pass for a whole one.
 */
export async function readTopicSince(
  kafka: Kafka,
  topic: string,
  sinceMs: number,
  options: { timeoutMs?: number } = {},
): Promise<Tail> {
  const admin = kafka.admin();
  await admin.connect();
  const groupId = `tail-reader-${randomBytes(6).toString('hex')}`;
  try {
    const [ends, starts] = await Promise.all([
      admin.fetchTopicOffsets(topic),
      admin.fetchTopicOffsetsByTimestamp(topic, sinceMs),
    ]);
    const start = new Map(starts.map((s) => [s.partition, BigInt(s.offset)]));
    const complete = ends.every(
      (e) => BigInt(e.low) === 0n || (start.get(e.partition) ?? 0n) > BigInt(e.low),
    );
    /** partitions still to read, with the offset that ends them */
    const pending = new Map<number, bigint>();
    for (const e of ends)
      if ((start.get(e.partition) ?? 0n) < BigInt(e.high)) pending.set(e.partition, BigInt(e.high));
    const records: TailRecord[] = [];
    if (pending.size === 0) return { records, complete };

    const consumer = kafka.consumer({ groupId, readUncommitted: false, maxWaitTimeInMs: 200 });
    let done: () => void = () => {};
    const finished = new Promise<void>((resolve) => {
      done = resolve;
    });
    // Control records and aborted data never reach eachBatch; the end-of-batch event still says how
    // far a fetch went, so a partition that ends with a transaction marker is seen to end.
    consumer.on(consumer.events.END_BATCH_PROCESS, ({ payload }) => {
      const end = pending.get(payload.partition);
      if (end !== undefined && BigInt(payload.lastOffset) + 1n >= end) pending.delete(payload.partition);
      if (pending.size === 0) done();
    });
    await consumer.connect();
    try {
      await consumer.subscribe({ topic, fromBeginning: true });
      await consumer.run({
        autoCommit: false,
        eachBatch: async ({ batch }) => {
          const from = start.get(batch.partition) ?? 0n;
          for (const m of batch.messages) {
            if (BigInt(m.offset) < from) continue;
            records.push({
              partition: batch.partition,
              offset: m.offset,
              key: m.key,
              value: m.value,
              headers: m.headers ?? {},
            });
          }
        },
      });
      for (const [partition, offset] of start) consumer.seek({ topic, partition, offset: offset.toString() });
      const timeoutMs = options.timeoutMs ?? 90_000;
      let timer: NodeJS.Timeout | undefined;
      const timedOut = new Promise<boolean>((resolve) => {
        timer = setTimeout(() => resolve(true), timeoutMs);
      });
      const late = await Promise.race([finished.then(() => false), timedOut]);
      clearTimeout(timer);
      if (late)
        throw new Error(
          `could not read ${topic} to its end within ${timeoutMs} ms (partitions ${[...pending.keys()].join(', ')}): ` +
            'a transaction left open holds it back; try again once the transaction timeout has passed',
        );
    } finally {
      await consumer.disconnect();
    }
    // a seek can race the first fetch from the beginning: keep one copy of each record
    const seen = new Set<string>();
    const unique = records.filter((r) => {
      const id = `${r.partition}:${r.offset}`;
      if (seen.has(id)) return false;
      seen.add(id);
      return true;
    });
    return { records: unique, complete };
  } finally {
    await admin.deleteGroups([groupId]).catch(() => {});
    await admin.disconnect();
  }
}
