// Every offset commit of a group, in commit order, read from __consumer_offsets under read_committed:
// the independent record of which positions were committed and in what order. G6 is checked on it (a
// zombie's late commit moves a partition's committed offset backwards). A group's commits all live in
// one partition of __consumer_offsets, so their order there is their commit order.
import { randomBytes } from 'node:crypto';
import type { Kafka } from 'kafkajs';

export interface OffsetCommit {
  topic: string;
  partition: number;
  /** null: a tombstone (the offset was deleted) */
  offset: bigint | null;
}

/** Decodes an offset-commit record of __consumer_offsets (key versions 0–1); undefined for others. */
export function decodeOffsetCommit(
  key: Buffer | null,
  value: Buffer | null,
): (OffsetCommit & { group: string }) | undefined {
  if (!key || key.length < 2) return undefined;
  const version = key.readInt16BE(0);
  if (version !== 0 && version !== 1) return undefined; // 2: group metadata
  let at = 2;
  const str = () => {
    const len = key.readInt16BE(at);
    const s = key.toString('utf8', at + 2, at + 2 + len);
    at += 2 + len;
    return s;
  };
  const group = str();
  const topic = str();
  const partition = key.readInt32BE(at);
  // every value version (0–4) starts with int16 version, int64 offset
  const offset = value && value.length >= 10 ? value.readBigInt64BE(2) : null;
  return { group, topic, partition, offset };
}

export async function readOffsetCommits(
  kafka: Kafka,
  group: string,
  options: { settleMs?: number; timeoutMs?: number } = {},
): Promise<OffsetCommit[]> {
  const settleMs = options.settleMs ?? 3000;
  const commits: OffsetCommit[] = [];
  const consumer = kafka.consumer({
    groupId: `offsets-reader-${randomBytes(6).toString('hex')}`,
    maxWaitTimeInMs: 100,
    sessionTimeout: 6000,
    heartbeatInterval: 1000,
  });
  await consumer.connect();
  await consumer.subscribe({ topic: '__consumer_offsets', fromBeginning: true });
  let last = Date.now();
  await consumer.run({
    autoCommit: false,
    eachBatch: async ({ batch }) => {
      for (const m of batch.messages) {
        const c = decodeOffsetCommit(m.key, m.value);
        if (c?.group === group) commits.push({ topic: c.topic, partition: c.partition, offset: c.offset });
      }
      if (batch.messages.length) last = Date.now();
    },
  });
  const started = Date.now();
  try {
    for (;;) {
      await new Promise((r) => setTimeout(r, 100));
      const now = Date.now();
      if (now - last >= settleMs && now - started >= settleMs) break;
      if (now - started > (options.timeoutMs ?? 120_000)) break;
    }
  } finally {
    await consumer.disconnect();
  }
  return commits;
}
