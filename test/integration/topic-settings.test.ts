// The results topic is compacted as well as time-retained: an erased job's tombstone removes its result
// event from Kafka, where with time retention alone (found from outside: cleanup.policy=delete) the event,
// with its feedback and quotes from the CV, stayed for the topic's whole retention. On the real broker:
// a new topic is created with the settings, and an existing one without them is given them, keeping a
// setting of its own.
import kafkajs from 'kafkajs';
import { afterAll, describe, expect, it } from 'vitest';
import { createTopicsAndWait } from '../../lib/kafka/topics.ts';
import { RESULTS_TOPIC_SETTINGS } from '../../lib/records/result-event.ts';
import { isolatedStack } from '../helpers/isolation.ts';

const stack = await isolatedStack('topic-settings');
const admin = stack.kafka.admin();
await admin.connect();
afterAll(async () => {
  const topics = ['results-new', 'results-old', 'plain'].map((r) => stack.topic(r));
  await admin.deleteTopics({ topics }).catch(() => {});
  await admin.disconnect();
});

async function settingsOf(topic: string) {
  const d = await admin.describeConfigs({
    resources: [{ type: kafkajs.ConfigResourceTypes.TOPIC, name: topic }],
    includeSynonyms: false,
  });
  return Object.fromEntries(d.resources[0]!.configEntries.map((e) => [e.configName, e.configValue]));
}

describe('topic settings', () => {
  it('a results topic is created compacted, with segments that close within the hour', async () => {
    const topic = stack.topic('results-new');
    await createTopicsAndWait(admin, [topic], {
      partitions: 2,
      settings: { [topic]: RESULTS_TOPIC_SETTINGS },
    });
    expect(await settingsOf(topic)).toMatchObject(RESULTS_TOPIC_SETTINGS);
  });

  it('an existing topic without them is given them and keeps a setting of its own; without settings nothing changes', async () => {
    const topic = stack.topic('results-old');
    const plain = stack.topic('plain');
    await admin.createTopics({
      topics: [topic, plain].map((t) => ({
        topic: t,
        numPartitions: 2,
        configEntries: [{ name: 'retention.ms', value: '86400000' }],
      })),
    });
    expect((await settingsOf(topic))['cleanup.policy']).toBe('delete');
    await createTopicsAndWait(admin, [topic, plain], {
      partitions: 2,
      settings: { [topic]: RESULTS_TOPIC_SETTINGS },
    });
    expect(await settingsOf(topic)).toMatchObject({ ...RESULTS_TOPIC_SETTINGS, 'retention.ms': '86400000' });
    // the control: a topic named in no settings keeps time retention only
    expect(await settingsOf(plain)).toMatchObject({ 'cleanup.policy': 'delete', 'retention.ms': '86400000' });
  });

  it('with these settings a tombstone removes the erased event from the log (compaction on the real broker)', {
    timeout: 90_000,
  }, async () => {
    const topic = stack.topic('erased');
    // the same policy, on a clock a test can wait for: segments close after 100 ms
    const settings = { ...RESULTS_TOPIC_SETTINGS, 'segment.ms': '100', 'max.compaction.lag.ms': '100' };
    await createTopicsAndWait(admin, [topic], { partitions: 1, settings: { [topic]: settings } });
    const producer = stack.kafka.producer();
    await producer.connect();
    const send = (key: string, value: string | null) => producer.send({ topic, messages: [{ key, value }] });
    await send('job-erased', 'feedback quoting the CV');
    await send('job-kept', 'another candidate');
    await send('job-erased', null);
    const values = async () => {
      const consumer = stack.kafka.consumer({ groupId: `${stack.topic('erased')}-${Date.now()}` });
      await consumer.connect();
      await consumer.subscribe({ topic, fromBeginning: true });
      const seen: string[] = [];
      const { high } = (await admin.fetchTopicOffsets(topic))[0]!;
      await new Promise<void>((resolve) => {
        void consumer.run({
          eachMessage: async ({ message }) => {
            seen.push(`${message.key}=${message.value ?? 'null'}`);
            if (BigInt(message.offset) + 1n >= BigInt(high)) resolve();
          },
        });
      });
      await consumer.disconnect();
      return seen;
    };
    expect(await values()).toContain('job-erased=feedback quoting the CV');
    // a later record closes the segment that holds them; the cleaner then compacts it
    for (let i = 0; ; i++) {
      await new Promise((r) => setTimeout(r, 1_000));
      await send('filler', String(i));
      const seen = await values();
      if (!seen.includes('job-erased=feedback quoting the CV')) {
        expect(seen).toContain('job-kept=another candidate');
        break;
      }
      if (i > 60) throw new Error(`the erased event is still in the log: ${seen.slice(0, 5).join(', ')}`);
    }
    await producer.disconnect();
  });
});
