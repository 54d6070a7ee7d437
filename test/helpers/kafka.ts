// An independent reader for tests: a fresh consumer group that reads a topic from the beginning, under
// read_committed unless told otherwise, until it has seen `expected` records and then nothing new for
// `settleMs` (so duplicates arriving late are still caught).
import { randomBytes } from 'node:crypto';
import type { Kafka } from 'kafkajs';

export interface ReadRecord {
  topic: string;
  partition: number;
  offset: string;
  key: string | null;
  value: string | null;
  headers: Record<string, string>;
}

export async function drainTopic(
  kafka: Kafka,
  topic: string,
  options: {
    expected?: number;
    isolation?: 'read_committed' | 'read_uncommitted';
    settleMs?: number;
    timeoutMs?: number;
  } = {},
): Promise<ReadRecord[]> {
  const settleMs = options.settleMs ?? 1500;
  const timeoutMs = options.timeoutMs ?? 60_000;
  const records: ReadRecord[] = [];
  const consumer = kafka.consumer({
    groupId: `reader-${randomBytes(6).toString('hex')}`,
    readUncommitted: options.isolation === 'read_uncommitted',
    maxWaitTimeInMs: 100,
    sessionTimeout: 6000,
    heartbeatInterval: 1000,
  });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  let last = Date.now();
  await consumer.run({
    autoCommit: false,
    eachBatch: async ({ batch }) => {
      for (const m of batch.messages) {
        const headers: Record<string, string> = {};
        for (const [k, v] of Object.entries(m.headers ?? {})) if (v !== undefined) headers[k] = String(v);
        records.push({
          topic,
          partition: batch.partition,
          offset: m.offset,
          key: m.key?.toString() ?? null,
          value: m.value?.toString() ?? null,
          headers,
        });
      }
      if (batch.messages.length) last = Date.now();
    },
  });
  const started = Date.now();
  try {
    for (;;) {
      await new Promise((r) => setTimeout(r, 100));
      const now = Date.now();
      const enough = options.expected === undefined || records.length >= options.expected;
      if (enough && now - last >= settleMs && now - started >= settleMs) break;
      if (now - started > timeoutMs) break;
    }
  } finally {
    await consumer.disconnect();
  }
  return records;
}
