// Coordinators on the real broker (lib/kafka/coordinators.ts): found once and kept, found again when the
// connection to them is lost, and CONCURRENT_TRANSACTIONS after a commit retried in place, without the
// metadata refresh kafkajs' send retry makes.
import { afterAll, describe, expect, it } from 'vitest';
import { createKafka, FAST_RETRY } from '../../lib/kafka/client.ts';
import {
  coordinatorStats,
  installCoordinatorReuse,
  uninstallCoordinatorReuse,
} from '../../lib/kafka/coordinators.ts';
import { isolatedStack } from '../helpers/isolation.ts';
import { drainTopic } from '../helpers/kafka.ts';
import { API_KEYS, type RequestCounter, requestCounter } from '../helpers/kafka-wire.ts';

const stack = await isolatedStack('coordinators');
const producers: { disconnect(): Promise<void> }[] = [];
afterAll(async () => {
  installCoordinatorReuse();
  await Promise.all(producers.map((p) => p.disconnect().catch(() => {})));
});

async function transactionalProducer(id: string, counter: RequestCounter, o: { asItCame?: boolean } = {}) {
  const kafka = createKafka({
    brokers: stack.brokers,
    clientId: id,
    config: { socketFactory: counter.socketFactory },
  });
  // createKafka installs the change for the whole process; the negative control takes it away again
  if (o.asItCame) uninstallCoordinatorReuse();
  const producer = kafka.producer({
    transactionalId: `${stack.prefix}-${id}`,
    idempotent: true,
    maxInFlightRequests: 1,
    retry: FAST_RETRY,
  });
  await producer.connect();
  producers.push(producer);
  return {
    async transactions(topic: string, from: number, to: number) {
      for (let i = from; i < to; i++) {
        const tx = await producer.transaction();
        await tx.send({ topic, messages: [{ key: `k${i}`, value: `${id}-${i}` }] });
        await tx.commit();
      }
    },
  };
}

describe('coordinators', () => {
  it('a transactional producer finds its coordinator once for 50 back-to-back transactions; without the change, before every request', async () => {
    const topic = stack.topic('kept');
    await stack.createTopics([topic], 3);
    const counter = requestCounter();
    const retriesBefore = coordinatorStats.concurrentRetries;
    const p = await transactionalProducer('kept', counter);
    await p.transactions(topic, 0, 50);
    expect(counter.count(API_KEYS.EndTxn)).toBe(50);
    // one look-up, for InitProducerId; kafkajs upstream makes one before each AddPartitionsToTxn and EndTxn
    expect(counter.count(API_KEYS.FindCoordinator)).toBe(1);
    // back to back, some AddPartitionsToTxn meet the previous commit's markers still being written; they
    // are asked again in place, so kafkajs' send retry (and its metadata refresh) never sees them
    expect(coordinatorStats.concurrentRetries).toBeGreaterThan(retriesBefore);
    // a few for the connection and the new topic's leaders (4 seen on a loaded CI machine); kafkajs as it
    // came refreshes once per refused AddPartitionsToTxn, about one transaction in three here
    expect(counter.count(API_KEYS.Metadata)).toBeLessThanOrEqual(6);

    // negative control: kafkajs as it came
    try {
      const plain = requestCounter();
      const q = await transactionalProducer('plain', plain, { asItCame: true });
      await q.transactions(topic, 50, 100);
      expect(plain.count(API_KEYS.FindCoordinator)).toBeGreaterThanOrEqual(101);
    } finally {
      installCoordinatorReuse();
    }
    const seen = await drainTopic(stack.kafka, topic, { expected: 100 });
    expect(seen.map((r) => r.key).sort()).toEqual(Array.from({ length: 100 }, (_, i) => `k${i}`).sort());
  });

  it('when the connection to the coordinator is lost, the coordinator is found again and the transaction commits once', async () => {
    const topic = stack.topic('lost');
    await stack.createTopics([topic], 3);
    const counter = requestCounter();
    const p = await transactionalProducer('lost', counter);
    await p.transactions(topic, 0, 5);
    const found = counter.count(API_KEYS.FindCoordinator);
    const forgotten = coordinatorStats.forgotten;
    counter.cut(API_KEYS.AddPartitionsToTxn);
    await p.transactions(topic, 5, 10);
    expect(coordinatorStats.forgotten).toBeGreaterThan(forgotten);
    expect(counter.count(API_KEYS.FindCoordinator)).toBe(found + 1);
    for (const isolation of ['read_committed', 'read_uncommitted'] as const) {
      const seen = await drainTopic(stack.kafka, topic, { expected: 10, isolation });
      expect(seen.map((r) => r.value).sort()).toEqual(
        Array.from({ length: 10 }, (_, i) => `lost-${i}`).sort(),
      );
    }
  });
});
