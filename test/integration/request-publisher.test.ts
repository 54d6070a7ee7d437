// The request-side producer on the real broker: group commit, resolve-after-commit, replacement after a
// transactional error, clean close.
import type { Kafka, ProducerConfig } from 'kafkajs';
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

  it("after a transactional error (its id fenced) the caller is rejected and the lane's producer replaced, never reused", async () => {
    const topic = stack.topic('fenced');
    await stack.createTopics([topic], 1);
    const publisher = new RequestPublisher({
      kafka: stack.kafka,
      app: stack.prefix,
      instanceId: 'i3',
      slots: 1,
      lanes: 2,
      logger: testLogger,
    });
    // one transaction on each lane: both transactional ids have a live producer
    await publisher.publish({ topic, key: 'a', value: 'before-0' });
    await publisher.publish({ topic, key: 'a', value: 'before-1' });
    // Someone else initialises both transactional ids: the publisher's producers are now zombies.
    for (const lane of [0, 1])
      await fenceTransactionalId(stack.kafka, requestTransactionalId(stack.prefix, 'i3', lane, 2));

    await expect(publisher.publish({ topic, key: 'a', value: 'rejected-0' })).rejects.toThrow();
    await expect(publisher.publish({ topic, key: 'a', value: 'rejected-1' })).rejects.toThrow();
    expect(publisher.stats.failures).toBe(2);
    await publisher.publish({ topic, key: 'a', value: 'after-0' });
    await publisher.publish({ topic, key: 'a', value: 'after-1' });
    await publisher.close();
    const seen = await drainTopic(stack.kafka, topic, { expected: 4 });
    expect(seen.map((r) => r.value)).toEqual(['before-0', 'before-1', 'after-0', 'after-1']);
  });

  it("a lane whose commit failed with its records written does not hold back the other lane's records", async () => {
    const topic = stack.topic('reopen');
    await stack.createTopics([topic], 1);
    const lane0 = requestTransactionalId(stack.prefix, 'reopen', 0, 2);
    // lane 0's next commit is lost: its records are written and its transaction is left open
    let loseNextCommit = false;
    const kafka = {
      producer: (config: ProducerConfig) => {
        const producer = stack.kafka.producer(config);
        const transaction = producer.transaction.bind(producer);
        producer.transaction = async () => {
          const tx = await transaction();
          if (!loseNextCommit || config.transactionalId !== lane0) return tx;
          loseNextCommit = false;
          return { ...tx, commit: () => Promise.reject(new Error('the commit answer was lost')) };
        };
        return producer;
      },
    } as Kafka;
    const publisher = new RequestPublisher({ kafka, app: stack.prefix, instanceId: 'reopen', lanes: 2 });
    await publisher.publish({ topic, key: 'a', value: 'before-0' });
    await publisher.publish({ topic, key: 'a', value: 'before-1' });
    loseNextCommit = true;
    await expect(publisher.publish({ topic, key: 'a', value: 'left-open' })).rejects.toThrow(/lost/);
    await publisher.publish({ topic, key: 'a', value: 'after-1' });
    // The open transaction holds the partition's last stable offset until it is aborted: at once by the
    // lane's new producer (InitProducerId), else by the coordinator after the 10 s transaction timeout.
    const seen = await drainTopic(stack.kafka, topic, { expected: 3, timeoutMs: 6_000 });
    expect(seen.map((r) => r.value)).toEqual(['before-0', 'before-1', 'after-1']);
    await publisher.close();
  });

  it('the idle close waits for a lane still committing, and closes it at its next look once it has ended', async () => {
    const topic = stack.topic('idle');
    await stack.createTopics([topic], 1);
    const lane0 = requestTransactionalId(stack.prefix, 'idle', 0, 2);
    // lane 0's first commit waits for the test: the lane stays busy past several idle looks
    let releaseCommit = () => {};
    const commitHeld = new Promise<void>((r) => {
      releaseCommit = r;
    });
    const disconnects = new Map<string, number>();
    const kafka = {
      producer: (config: ProducerConfig) => {
        const producer = stack.kafka.producer(config);
        const id = config.transactionalId ?? '';
        const transaction = producer.transaction.bind(producer);
        producer.transaction = async () => {
          const tx = await transaction();
          if (id !== lane0) return tx;
          return { ...tx, commit: async () => commitHeld.then(() => tx.commit()) };
        };
        const disconnect = producer.disconnect.bind(producer);
        producer.disconnect = () => {
          disconnects.set(id, (disconnects.get(id) ?? 0) + 1);
          return disconnect();
        };
        return producer;
      },
    } as Kafka;
    const publisher = new RequestPublisher({
      kafka,
      app: stack.prefix,
      instanceId: 'idle',
      idleCloseMs: 100,
    });
    const published = publisher.publish({ topic, key: 'a', value: 'held' });
    await new Promise((r) => setTimeout(r, 500));
    // five idle looks went by: a producer in the middle of its commit is never closed
    expect(disconnects.get(lane0) ?? 0).toBe(0);
    releaseCommit();
    await published;
    const closedBy = Date.now() + 5_000;
    while ((disconnects.get(lane0) ?? 0) === 0 && Date.now() < closedBy)
      await new Promise((r) => setTimeout(r, 50));
    // closed by a later look, not left open for good because the first look found it busy
    expect(disconnects.get(lane0)).toBe(1);
    await publisher.close();
  });

  it("a slot takes turns on its lanes: back-to-back transactions seldom wait for the previous one's markers", async () => {
    const topic = stack.topic('lanes');
    await stack.createTopics([topic], 3);
    // every AddPartitionsToTxn the publisher's producers send, retries included
    let adds = 0;
    const kafka = {
      producer: (config: ProducerConfig) => {
        const producer = stack.kafka.producer(config);
        producer.on(producer.events.REQUEST, (e) => {
          if (e.payload.apiName === 'AddPartitionsToTxn') adds += 1;
        });
        return producer;
      },
    } as Kafka;
    const run = async (lanes: number) => {
      adds = 0;
      const publisher = new RequestPublisher({
        kafka,
        app: stack.prefix,
        instanceId: `lanes-${lanes}`,
        lanes,
      });
      for (let i = 0; i < 40; i++) await publisher.publish({ topic, key: `k${i}`, value: String(i) });
      await publisher.close();
      // one AddPartitionsToTxn per transaction; more are the refused ones, retried
      return { refused: adds - publisher.stats.transactions, transactions: publisher.stats.transactions };
    };
    // one lane: the coordinator refuses a transaction's start while the last one's markers are written
    const one = await run(1);
    const two = await run(2);
    expect(one.transactions).toBe(40);
    expect(two.transactions).toBe(40);
    console.log(
      `CONCURRENT_TRANSACTIONS refusals in 40 transactions: ${one.refused} on one lane, ${two.refused} on two`,
    );
    expect(one.refused).toBeGreaterThan(0);
    // a lane's markers have the other lane's whole transaction to land; on a loaded machine (CI) some
    // still do not: 0–2 of 40 at rest, and under CI's load 2 against 27 on one lane, 11 against 31
    expect(two.refused).toBeLessThanOrEqual(one.refused / 2);
    // and every record is there once, in order
    const seen = await drainTopic(stack.kafka, topic, { expected: 80 });
    expect(seen).toHaveLength(80);
  });

  it('the next transaction writes while the last one commits, and the records stay in publish order', async () => {
    const topic = stack.topic('overlap');
    await stack.createTopics([topic], 3);
    // each producer's requests as [api, sent, answered]
    const requests = new Map<string, [string, number, number][]>();
    const kafka = {
      producer: (config: ProducerConfig) => {
        const producer = stack.kafka.producer(config);
        const mine: [string, number, number][] = [];
        requests.set(config.transactionalId!, mine);
        producer.on(producer.events.REQUEST, (e) => {
          mine.push([e.payload.apiName, e.payload.sentAt, e.payload.sentAt + e.payload.duration]);
        });
        return producer;
      },
    } as Kafka;
    const publisher = new RequestPublisher({ kafka, app: stack.prefix, instanceId: 'overlap', maxBatch: 25 });
    // 1,000 records of one key, none awaited before the next: about 40 transactions back to back
    await Promise.all(
      Array.from({ length: 1000 }, (_, i) => publisher.publish({ topic, key: 'one', value: String(i) })),
    );
    await publisher.close();
    expect(publisher.stats.transactions).toBeGreaterThanOrEqual(40);
    const [a, b] = [...requests.values()];
    // a request of the next transaction (its AddPartitionsToTxn or Produce) sent while the other lane's
    // EndTxn was unanswered
    const overlaps = (x: typeof a, y: typeof a) =>
      x!
        .filter(([api]) => api !== 'EndTxn')
        .filter(([, sent]) =>
          y!.some(([api, s, answered]) => api === 'EndTxn' && s <= sent && sent < answered),
        ).length;
    expect(overlaps(a, b) + overlaps(b, a)).toBeGreaterThan(0);
    const seen = await drainTopic(stack.kafka, topic, { expected: 1000 });
    expect(seen.map((r) => Number(r.value))).toEqual(Array.from({ length: 1000 }, (_, i) => i));
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
