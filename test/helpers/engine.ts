// Shared pieces for the engine's tests: inputs, an echo handler, and the exactly-once checks.
import type { Kafka } from 'kafkajs';
import type { BatchHandler } from '../../lib/kafka/types.ts';
import { createLogger } from '../../lib/telemetry/logger.ts';
import type { ReadRecord } from './kafka.ts';

export const testLogger = createLogger({ level: process.env.TEST_LOG_LEVEL ?? 'silent', name: 'test' });

/** Writes n keyed records (key = value = `${prefix}-${i}`), committed, spread over the partitions. */
export async function produceInputs(
  kafka: Kafka,
  topic: string,
  n: number,
  prefix = 'in',
  from = 0,
): Promise<string[]> {
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  const keys: string[] = [];
  try {
    const chunk = 2000;
    for (let start = from; start < from + n; start += chunk) {
      const messages = [];
      for (let i = start; i < Math.min(from + n, start + chunk); i++) {
        const key = `${prefix}-${i}`;
        keys.push(key);
        messages.push({ key, value: key });
      }
      await producer.send({ topic, messages, acks: -1 });
    }
  } finally {
    await producer.disconnect();
  }
  return keys;
}

/** One output per input: same key, value prefixed, source offset in a header. */
export function echoHandler(outTopic: string, onBatch?: (n: number) => void): BatchHandler {
  return async ({ records, partition }) => {
    onBatch?.(records.length);
    return {
      outputs: records.map((r) => ({
        topic: outTopic,
        key: r.key,
        value: `out:${r.value?.toString()}`,
        headers: { src: `${partition}:${r.offset}` },
      })),
    };
  };
}

export interface ExactlyOnceCheck {
  missing: string[];
  duplicates: string[];
  unexpected: string[];
}

/** Compares outputs with the expected keys: what is missing, what appears more than once. */
export function checkExactlyOnce(expected: string[], outputs: ReadRecord[]): ExactlyOnceCheck {
  const counts = new Map<string, number>();
  for (const r of outputs) counts.set(r.key ?? '', (counts.get(r.key ?? '') ?? 0) + 1);
  const want = new Set(expected);
  return {
    missing: expected.filter((k) => !counts.has(k)),
    duplicates: [...counts].filter(([, c]) => c > 1).map(([k]) => k),
    unexpected: [...counts.keys()].filter((k) => !want.has(k)),
  };
}

export async function committedOffsets(
  kafka: Kafka,
  groupId: string,
  topic: string,
): Promise<Map<number, string>> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const [t] = await admin.fetchOffsets({ groupId, topics: [topic] });
    return new Map((t?.partitions ?? []).map((p) => [p.partition, p.offset]));
  } finally {
    await admin.disconnect();
  }
}

export async function endOffsets(kafka: Kafka, topic: string): Promise<Map<number, string>> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    return new Map((await admin.fetchTopicOffsets(topic)).map((p) => [p.partition, p.high]));
  } finally {
    await admin.disconnect();
  }
}

/** Initialises `transactionalId` elsewhere: whoever held it before is fenced from now on. */
export async function fenceTransactionalId(kafka: Kafka, transactionalId: string): Promise<void> {
  const intruder = kafka.producer({ transactionalId, idempotent: true, maxInFlightRequests: 1 });
  await intruder.connect();
  await (await intruder.transaction()).abort();
  await intruder.disconnect();
}
