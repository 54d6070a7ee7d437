// Creates topics when missing, with a fixed partition count (per-partition transactional ids depend on it).
import type { Kafka } from 'kafkajs';

export async function ensureTopics(
  kafka: Kafka,
  topics: string[],
  options: { partitions: number; replicationFactor?: number },
): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const existing = new Set(await admin.listTopics());
    const missing = topics.filter((t) => !existing.has(t));
    if (missing.length === 0) return;
    await admin
      .createTopics({
        topics: missing.map((topic) => ({
          topic,
          numPartitions: options.partitions,
          replicationFactor: options.replicationFactor ?? -1,
        })),
        waitForLeaders: true,
      })
      .catch((err: { type?: string }) => {
        // Another process created them between our list and our create.
        if (err.type !== 'TOPIC_ALREADY_EXISTS') throw err;
      });
  } finally {
    await admin.disconnect();
  }
}
