// Churn: three sessions over twelve partitions, started and stopped again and again (every start and
// every stop is a rebalance) while 20,000 records flow in → every record's output exactly once.
import { describe, expect, it } from 'vitest';
import { createKafka } from '../../lib/kafka/client.ts';
import { runSession } from '../../lib/kafka/session.ts';
import type { SessionReport } from '../../lib/kafka/types.ts';
import { checkExactlyOnce, echoHandler, produceInputs, testLogger } from '../helpers/engine.ts';
import { isolatedStack } from '../helpers/isolation.ts';
import { drainTopic } from '../helpers/kafka.ts';

const stack = await isolatedStack('churn');
const TOTAL = 20_000;

describe('engine under churn', () => {
  it('3 sessions over 12 partitions repeatedly started and stopped while 20,000 records flow → exactly once', async () => {
    const input = stack.topic('in');
    const output = stack.topic('out');
    const dlq = stack.topic('dlq');
    const group = `${stack.prefix}-g`;
    await stack.createTopics([input, output, dlq], 12);

    // A small deterministic generator: the same schedule every run.
    let seed = 42;
    const random = () => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed / 2 ** 31;
    };

    const keys: string[] = [];
    const producing = (async () => {
      for (let i = 0; i < 20; i++) {
        keys.push(...(await produceInputs(stack.kafka, input, TOTAL / 20, 'in', i * (TOTAL / 20))));
        await new Promise((r) => setTimeout(r, 300));
      }
    })();

    const reports: SessionReport[] = [];
    let producingDone = false;
    void producing.then(() => {
      producingDone = true;
    });
    const slot = async (n: number) => {
      const kafka = createKafka({ brokers: stack.brokers, clientId: `churn-${n}` });
      while (!producingDone) {
        reports.push(
          await runSession({
            app: 'test',
            kafka,
            logger: testLogger,
            groupId: group,
            topic: input,
            dlqTopic: dlq,
            handler: echoHandler(output),
            sessionTimeoutMs: 6000,
            heartbeatIntervalMs: 300,
            maxIdleMs: 60_000,
            maxDurationMs: 1500 + Math.floor(random() * 2500),
          }),
        );
      }
    };
    await Promise.all([slot(0), slot(1), slot(2), producing]);
    // One last session drains whatever the churn left behind.
    reports.push(
      await runSession({
        app: 'test',
        kafka: stack.kafka,
        logger: testLogger,
        groupId: group,
        topic: input,
        dlqTopic: dlq,
        handler: echoHandler(output),
        sessionTimeoutMs: 6000,
        maxIdleMs: 2000,
        maxDurationMs: 120_000,
      }),
    );

    expect(reports.length).toBeGreaterThanOrEqual(6);
    const rebalances = reports.reduce((s, r) => s + r.rebalances, 0);
    expect(rebalances).toBeGreaterThanOrEqual(6);
    const outputs = await drainTopic(stack.kafka, output, {
      expected: TOTAL,
      settleMs: 2000,
      timeoutMs: 120_000,
    });
    expect(checkExactlyOnce(keys, outputs)).toEqual({ missing: [], duplicates: [], unexpected: [] });
    expect(outputs).toHaveLength(TOTAL);
    // Every input record was committed once across all sessions (none counted twice).
    expect(reports.reduce((s, r) => s + r.records, 0)).toBe(TOTAL);
  });
});
