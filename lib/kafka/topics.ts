// Creates topics when missing, with a fixed partition count (per-partition transactional ids depend on
// it), and waits until every partition has a leader. A topic may be given settings it must have (a
// cleanup policy): set when it is created, and set on a topic that exists without them.
import kafkajs, { type Admin, type Kafka } from 'kafkajs';

// kafkajs is CommonJS: its enums are properties of the default export
const { ConfigResourceTypes } = kafkajs;

/** Settings a topic must have, by topic name. */
export type TopicSettings = Record<string, Record<string, string>>;

export async function ensureTopics(
  kafka: Kafka,
  topics: string[],
  options: { partitions: number; replicationFactor?: number; settings?: TopicSettings },
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
  options: { partitions: number; replicationFactor?: number; timeoutMs?: number; settings?: TopicSettings },
): Promise<void> {
  const settings = options.settings ?? {};
  const existing = new Set(await admin.listTopics());
  const missing = topics.filter((t) => !existing.has(t));
  if (missing.length) {
    await admin
      .createTopics({
        topics: missing.map((topic) => ({
          topic,
          numPartitions: options.partitions,
          replicationFactor: options.replicationFactor ?? -1,
          configEntries: Object.entries(settings[topic] ?? {}).map(([name, value]) => ({ name, value })),
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
    if (ready) break;
    if (Date.now() > deadline) throw new Error(`topics ${topics.join(', ')} have no leaders after waiting`);
    await new Promise((r) => setTimeout(r, 100));
  }
  for (const topic of topics.filter((t) => existing.has(t) && settings[t]))
    await settle(admin, topic, settings[topic]!);
}

/**
 * Gives an existing topic the settings it lacks. kafkajs only replaces a topic's whole set of settings
 * (AlterConfigs, not the incremental kind), so the ones set on the topic itself are sent along unchanged.
 */
async function settle(admin: Admin, topic: string, wanted: Record<string, string>): Promise<void> {
  const described = await admin.describeConfigs({
    resources: [{ type: ConfigResourceTypes.TOPIC, name: topic }],
    includeSynonyms: false,
  });
  const entries = described.resources[0]?.configEntries ?? [];
  const current = new Map(entries.map((e) => [e.configName, e.configValue]));
  if (Object.entries(wanted).every(([name, value]) => current.get(name) === value)) return;
  const own = Object.fromEntries(
    entries
      .filter((e) => (e as { configSource?: number }).configSource === TOPIC_CONFIG && !e.isDefault)
      .map((e) => [e.configName, e.configValue]),
  );
  const merged = { ...own, ...wanted };
  await admin.alterConfigs({
    validateOnly: false,
    resources: [
      {
        type: ConfigResourceTypes.TOPIC,
        name: topic,
        configEntries: Object.entries(merged).map(([name, value]) => ({ name, value })),
      },
    ],
  });
}

/** DescribeConfigs' source of a setting made on the topic itself */
const TOPIC_CONFIG = 1;
