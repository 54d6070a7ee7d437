// The request-side producer on the real broker: group commit, resolve-after-commit, replacement after a
// transactional error, clean close.
import { describe, expect, it } from 'vitest';
import { RequestPublisher } from '../../lib/kafka/request-publisher.ts';
import { requestTransactionalId } from '../../lib/kafka/transactional-id.ts';
import { fenceTransactionalId, testLogger } from '../helpers/engine.ts';
import { isolatedStack } from '../helpers/isolation.ts';
import { drainTopic } from '../helpers/kafka.ts';

const stack = await isolatedStack('publisher');

describe('request publisher', () => {
  it('concurrent publishes share transactions (group commit) and each is visible under read_committed once', async () => {
    const topic = stack.topic('gc');
    await stack.createTopics([topic], 12);
    const publisher = new RequestPublisher({
      kafka: stack.kafka,
      app: stack.prefix,
      instanceId: 'i1',
      slots: 2,
      logger: testLogger,
    });
    await Promise.all(
      Array.from({ length: 300 }, (_, i) => publisher.publish({ topic, key: `k${i}`, value: `v${i}` })),
    );
    expect(publisher.stats.records).toBe(300);
    expect(publisher.stats.commits).toBeLessThan(300);
    expect(publisher.stats.commits).toBeGreaterThan(0);
    await publisher.close();
    const seen = await drainTopic(stack.kafka, topic, { expected: 300 });
    expect(seen).toHaveLength(300);
    expect(new Set(seen.map((r) => r.key)).size).toBe(300);
  });

  it('a publish resolves only once its record is committed', async () => {
    const topic = stack.topic('visible');
    await stack.createTopics([topic], 1);
    const publisher = new RequestPublisher({
      kafka: stack.kafka,
      app: stack.prefix,
      instanceId: 'i2',
      slots: 1,
    });
    await publisher.publish({ topic, key: 'only', value: 'one' });
    // No settle wait: the record must already be committed when publish() resolved.
    const seen = await drainTopic(stack.kafka, topic, { expected: 1, settleMs: 0, timeoutMs: 10_000 });
    expect(seen.map((r) => r.value)).toEqual(['one']);
    await publisher.close();
  });

  it('after a transactional error (its id fenced) the caller is rejected and the producer replaced, never reused', async () => {
    const topic = stack.topic('fenced');
    await stack.createTopics([topic], 1);
    const publisher = new RequestPublisher({
      kafka: stack.kafka,
      app: stack.prefix,
      instanceId: 'i3',
      slots: 1,
      logger: testLogger,
    });
    await publisher.publish({ topic, key: 'a', value: 'before' });
    // Someone else initialises the same transactional id: the publisher's producer is now a zombie.
    await fenceTransactionalId(stack.kafka, requestTransactionalId(stack.prefix, 'i3', 0, 1));

    await expect(publisher.publish({ topic, key: 'a', value: 'rejected' })).rejects.toThrow();
    expect(publisher.stats.failures).toBe(1);
    await publisher.publish({ topic, key: 'a', value: 'after' });
    await publisher.close();
    const seen = await drainTopic(stack.kafka, topic, { expected: 2 });
    expect(seen.map((r) => r.value)).toEqual(['before', 'after']);
  });

  it('close waits for in-flight publishes and refuses new ones', async () => {
    const topic = stack.topic('close');
    await stack.createTopics([topic], 1);
    const publisher = new RequestPublisher({ kafka: stack.kafka, app: stack.prefix, instanceId: 'i4' });
    const inFlight = Promise.all(
      Array.from({ length: 20 }, (_, i) => publisher.publish({ topic, key: `k${i}`, value: 'x' })),
    );
    await publisher.close();
    await inFlight;
    await expect(publisher.publish({ topic, key: 'late', value: 'x' })).rejects.toThrow(/closed/);
    expect(await drainTopic(stack.kafka, topic, { expected: 20 })).toHaveLength(20);
  });
});
