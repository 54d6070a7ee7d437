// The stack is real: a committed transaction is visible to a read_committed consumer, an aborted one is not.

import postgres from 'postgres';
import { describe, expect, it } from 'vitest';
import { isolatedStack } from '../helpers/isolation.ts';
import { drainTopic } from '../helpers/kafka.ts';

const stack = await isolatedStack('smoke');

describe(`smoke on ${stack.description}`, () => {
  it('a committed transaction is visible under read_committed and an aborted one is not', async () => {
    const topic = stack.topic('smoke');
    await stack.createTopics([topic], 1);
    const producer = stack.kafka.producer({
      transactionalId: `${stack.prefix}-smoke`,
      idempotent: true,
      maxInFlightRequests: 1,
    });
    await producer.connect();
    for (const [value, outcome] of [
      ['committed-1', 'commit'],
      ['aborted-1', 'abort'],
      ['committed-2', 'commit'],
    ] as const) {
      const tx = await producer.transaction();
      await tx.send({ topic, messages: [{ key: 'k', value }] });
      await (outcome === 'commit' ? tx.commit() : tx.abort());
    }
    await producer.disconnect();

    const committed = await drainTopic(stack.kafka, topic, { expected: 2 });
    expect(committed.map((r) => r.value)).toEqual(['committed-1', 'committed-2']);

    // Negative control: the aborted record really was written, so the check above could have failed.
    const uncommitted = await drainTopic(stack.kafka, topic, { expected: 3, isolation: 'read_uncommitted' });
    expect(uncommitted.map((r) => r.value)).toEqual(['committed-1', 'aborted-1', 'committed-2']);
  });

  it('each test file gets its own migrated database', async () => {
    const sql = postgres(stack.databaseUrl, { max: 1 });
    try {
      const tables = await sql`select tablename from pg_tables where schemaname = 'public' order by 1`;
      expect(tables.map((t) => t.tablename)).toEqual(
        expect.arrayContaining(['clients', 'jobs', 'results', 'uploads']),
      );
      const [db] = await sql`select current_database() as name`;
      expect(db?.name).toMatch(/^cvtest_\d+_smoke_/);
    } finally {
      await sql.end();
    }
  });
});
