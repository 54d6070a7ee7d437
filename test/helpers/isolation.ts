// Per-file isolation for integration tests: each file gets its own database (a clone of the migrated
// template), its own topic names and group ids, so files run in parallel without seeing each other.
import { randomBytes } from 'node:crypto';
import type { Kafka } from 'kafkajs';
import postgres from 'postgres';
import { afterAll, inject } from 'vitest';
import { createKafka } from '../../lib/kafka/client.ts';
import { createTopicsAndWait } from '../../lib/kafka/topics.ts';

export const TEST_PARTITIONS = 12;

export interface IsolatedStack {
  brokers: string[];
  databaseUrl: string;
  description: string;
  /** unique prefix for this file's topics, groups and transactional ids */
  prefix: string;
  kafka: Kafka;
  topic(role: string): string;
  createTopics(names: string[], partitions?: number): Promise<void>;
}

export async function isolatedStack(name: string): Promise<IsolatedStack> {
  const stack = inject('stack');
  const prefix = `t-${name}-${randomBytes(4).toString('hex')}`;
  const runPid = /(\d+)$/.exec(stack.templateDatabase)?.[1] ?? '0';
  const database = `cvtest_${runPid}_${name.replace(/[^a-z0-9]/gi, '_').toLowerCase()}_${randomBytes(4).toString('hex')}`;
  const admin = new URL(stack.databaseUrl);
  admin.pathname = '/postgres';
  const sql = postgres(admin.toString(), { max: 1, onnotice: () => {} });
  await sql.unsafe(`create database "${database}" template "${stack.templateDatabase}"`);
  await sql.end();
  const dbUrl = new URL(stack.databaseUrl);
  dbUrl.pathname = `/${database}`;

  const kafka = createKafka({ clientId: prefix, brokers: stack.kafkaBrokers });
  const created: string[] = [];

  afterAll(async () => {
    if (created.length) {
      const a = kafka.admin();
      await a.connect();
      await a.deleteTopics({ topics: created }).catch(() => {});
      await a.disconnect();
    }
    const s = postgres(admin.toString(), { max: 1, onnotice: () => {} });
    await s.unsafe(`drop database if exists "${database}" with (force)`);
    await s.end();
  });

  return {
    brokers: stack.kafkaBrokers,
    databaseUrl: dbUrl.toString(),
    description: stack.description,
    prefix,
    kafka,
    topic: (role) => `${prefix}-${role}`,
    async createTopics(names, partitions = TEST_PARTITIONS) {
      const a = kafka.admin();
      await a.connect();
      try {
        await createTopicsAndWait(a, names, { partitions });
        created.push(...names);
      } finally {
        await a.disconnect();
      }
    },
  };
}
