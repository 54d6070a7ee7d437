// The coordinator view (lib/kafka/coordinators.ts) against a stand-in cluster and broker: kept across
// look-ups, kept after the coordinator's own protocol errors, forgotten after NOT_COORDINATOR or a
// timeout on a live connection, and CONCURRENT_TRANSACTIONS retried in place only where it is safe.
import { createRequire } from 'node:module';
import { beforeAll, describe, expect, it } from 'vitest';
import { coordinatorStats, installCoordinatorReuse } from '../../lib/kafka/coordinators.ts';

type Request = (...args: unknown[]) => Promise<unknown>;
const Cluster = createRequire(import.meta.url)('kafkajs/src/cluster') as {
  prototype: { findGroupCoordinator(args: { groupId: string; coordinatorType?: number }): Promise<unknown> };
};
const protocolError = (type: string) =>
  Object.assign(new Error(type), { name: 'KafkaJSProtocolError', type });

/** A cluster whose look-ups are counted, answering with a broker whose requests the test scripts. */
function standIn(requests: Record<string, Request>) {
  const counts = { lookups: 0 };
  const broker = { nodeId: 1, isConnected: () => true, ...requests };
  const cluster = Object.assign(Object.create(Cluster.prototype), {
    retrier: (fn: (bail: (e: unknown) => never, n: number, t: number) => unknown) =>
      fn(
        (e) => {
          throw e;
        },
        0,
        0,
      ),
    findGroupCoordinatorMetadata: async () => {
      counts.lookups += 1;
      return { coordinator: { nodeId: 1 } };
    },
    findBroker: async () => broker,
  });
  const find = () =>
    cluster.findGroupCoordinator({ groupId: 'tx-1', coordinatorType: 1 }) as Promise<Record<string, Request>>;
  return { counts, find };
}

beforeAll(() => installCoordinatorReuse());

describe('coordinator view', () => {
  it('is kept across look-ups and after an error the coordinator itself answered', async () => {
    const c = standIn({ endTxn: async () => Promise.reject(protocolError('INVALID_PRODUCER_EPOCH')) });
    await c.find();
    const coordinator = await c.find();
    expect(c.counts.lookups).toBe(1);
    await expect(coordinator.endTxn!()).rejects.toMatchObject({ type: 'INVALID_PRODUCER_EPOCH' });
    await c.find();
    expect(c.counts.lookups).toBe(1);
  });

  for (const [what, err] of [
    ['NOT_COORDINATOR on a live connection', protocolError('NOT_COORDINATOR_FOR_GROUP')],
    ['a request timeout', Object.assign(new Error('timeout'), { name: 'KafkaJSRequestTimeoutError' })],
  ] as const) {
    it(`is forgotten after ${what}, and found again`, async () => {
      const c = standIn({ endTxn: async () => Promise.reject(err) });
      const coordinator = await c.find();
      await expect(coordinator.endTxn!()).rejects.toBe(err);
      await c.find();
      expect(c.counts.lookups).toBe(2);
    });
  }

  it('AddPartitionsToTxn refused with CONCURRENT_TRANSACTIONS is asked again in place; EndTxn is not', async () => {
    let refusals = 2;
    let ends = 0;
    const c = standIn({
      addPartitionsToTxn: async () => {
        if (refusals-- > 0) throw protocolError('CONCURRENT_TRANSACTIONS');
        return 'added';
      },
      endTxn: async () => {
        ends += 1;
        throw protocolError('CONCURRENT_TRANSACTIONS');
      },
    });
    const before = coordinatorStats.concurrentRetries;
    const coordinator = await c.find();
    await expect(coordinator.addPartitionsToTxn!()).resolves.toBe('added');
    expect(coordinatorStats.concurrentRetries - before).toBe(2);
    await expect(coordinator.endTxn!()).rejects.toMatchObject({ type: 'CONCURRENT_TRANSACTIONS' });
    expect(ends).toBe(1);
    await c.find();
    expect(c.counts.lookups).toBe(1);
  });

  it('gives CONCURRENT_TRANSACTIONS back to kafkajs after 16 tries in place', async () => {
    let calls = 0;
    const c = standIn({
      addOffsetsToTxn: async () => {
        calls += 1;
        throw protocolError('CONCURRENT_TRANSACTIONS');
      },
    });
    const coordinator = await c.find();
    await expect(coordinator.addOffsetsToTxn!()).rejects.toMatchObject({ type: 'CONCURRENT_TRANSACTIONS' });
    expect(calls).toBe(17);
  });
});
