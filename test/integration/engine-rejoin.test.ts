// A busy member makes room at once when another joins, on the real broker: kafkajs rejoins only when its
// own heartbeat after a batch reports the rebalance, and the heartbeats a session sends while its handler
// works kept that from happening. Member A works through long batches of slow chunks; member B joins the
// group; B must be handed partitions and commit within seconds, not after A's batch or the rebalance
// timeout. Every input still comes out exactly once.
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { createKafka } from '../../lib/kafka/client.ts';
import { runSession } from '../../lib/kafka/session.ts';
import type { SessionOptions } from '../../lib/kafka/session-options.ts';
import { checkExactlyOnce, echoHandler, produceInputs, testLogger } from '../helpers/engine.ts';
import { isolatedStack } from '../helpers/isolation.ts';
import { drainTopic } from '../helpers/kafka.ts';

const stack = await isolatedStack('rejoin');

describe('engine: rejoining a rebalance', () => {
  it('a member busy with slow batches gives up partitions within seconds when another joins; every input once', async () => {
    const t = {
      input: stack.topic('in'),
      output: stack.topic('out'),
      dlq: stack.topic('dlq'),
      group: `${stack.prefix}-g`,
    };
    await stack.createTopics([t.input, t.output, t.dlq], 4);
    const keys = await produceInputs(stack.kafka, t.input, 400);
    const echo = echoHandler(t.output);
    let slowUntil = Number.POSITIVE_INFINITY;
    const options = (name: string): Omit<SessionOptions, 'handler'> => ({
      app: 'test',
      kafka: createKafka({ brokers: stack.brokers, clientId: `rejoin-${name}` }),
      logger: testLogger,
      groupId: t.group,
      topic: t.input,
      dlqTopic: t.dlq,
      sessionTimeoutMs: 6000,
      heartbeatIntervalMs: 300,
      rebalanceTimeoutMs: 30_000,
      // a fetched batch of ~100 records is 20 chunks: about 20 s of work while chunks are slow
      maxBatchRecords: 5,
      maxIdleMs: 3000,
    });
    let aCommits = 0;
    const a = runSession({
      ...options('a'),
      handler: async (batch) => {
        if (Date.now() < slowUntil + 1000)
          await sleep(1000, undefined, { signal: batch.signal }).catch(() => {});
        return echo(batch);
      },
      hooks: {
        afterCommit: () => {
          aCommits += 1;
        },
      },
    });
    while (aCommits === 0) await sleep(100);
    const bStarted = Date.now();
    slowUntil = bStarted + 15_000;
    let bFirstCommit = 0;
    const b = runSession({
      ...options('b'),
      handler: echo,
      hooks: {
        afterCommit: () => {
          bFirstCommit ||= Date.now();
        },
      },
    });
    const [ra, rb] = await Promise.all([a, b]);
    expect(bFirstCommit).toBeGreaterThan(0);
    // before the fix, B waited for A's batch (~20 s of slow chunks) or the rebalance timeout
    expect(bFirstCommit - bStarted).toBeLessThan(8000);
    expect(ra.records + rb.records).toBeGreaterThanOrEqual(400);
    const outputs = await drainTopic(stack.kafka, t.output, { expected: 400 });
    expect(checkExactlyOnce(keys, outputs)).toEqual({ missing: [], duplicates: [], unexpected: [] });
  });
});
