// Creates topics when missing, with a fixed partition count (per-partition transactional ids depend on
// it), and waits until every partition has a leader.
import type { Admin, Kafka } from 'kafkajs';

export async function ensureTopics(
  kafka: Kafka,
  topics: string[],
  options: { partitions: number; replicationFactor?: number },
): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    await createTopicsAndWait(admin, topics, options);
  } finally {
    await admin.disconnect();
  }
}

export async function createTopicsAndWait(
  admin: Admin,
  topics: string[],
  options: { partitions: number; replicationFactor?: number; timeoutMs?: number },
): Promise<void> {
  const existing = new Set(await admin.listTopics());
  const missing = topics.filter((t) => !existing.has(t));
  if (missing.length) {
    await admin
      .createTopics({
        topics: missing.map((topic) => ({
          topic,
          numPartitions: options.partitions,
          replicationFactor: options.replicationFactor ?? -1,
        })),
        // kafkajs' own wait can fail on a metadata answer that is only briefly stale
        // (UNKNOWN_TOPIC_OR_PARTITION right after creation): wait below instead.
        waitForLeaders: false,
      })
      .catch((err: { type?: string }) => {
        // Another process created them between our list and our create.
        if (err.type !== 'TOPIC_ALREADY_EXISTS') throw err;
      });
  }
  const deadline = Date.now() + (options.timeoutMs ?? 60_000);
  for (;;) {
    const ready = await admin
      .fetchTopicMetadata({ topics })
      .then((m) => m.topics.every((t) => t.partitions.length > 0 && t.partitions.every((p) => p.leader >= 0)))
      .catch(() => false);
    if (ready) return;
    if (Date.now() > deadline) throw new Error(`topics ${topics.join(', ')} have no leaders after waiting`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
