// Resolves the stack integration tests run against, in this order:
//   1. KAFKA_BROKERS and DATABASE_URL from the environment;
//   2. testcontainers (Redpanda + PostgreSQL) when a Docker engine answers;
//   3. the native stack (Apache Kafka jars + PostgreSQL): reused if running, else started and stopped here.
// Then it migrates a template database that each test file clones (test/helpers/isolation.ts).

import postgres from 'postgres';
import type { TestProject } from 'vitest/node';
import { dockerEngineAnswers } from '../../infra/native/docker.ts';
import { isAlive } from '../../infra/native/kafka.ts';
import { readState, redact, stackDown, stackUp } from '../../infra/native/stack.ts';
import { migrateDatabase } from '../../lib/db/migrate.ts';
import { createKafka } from '../../lib/kafka/client.ts';
import { adminUrl, dropAbandonedDatabases, dropDatabases } from '../helpers/scratch-databases.ts';

export interface ResolvedStack {
  kafkaBrokers: string[];
  /** server URL; test files create their own databases on it */
  databaseUrl: string;
  templateDatabase: string;
  description: string;
}

declare module 'vitest' {
  export interface ProvidedContext {
    stack: ResolvedStack;
  }
}

const log = (m: string) => process.stderr.write(`[stack] ${m}\n`);

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const teardowns: (() => Promise<unknown>)[] = [];
  let kafkaBrokers: string[];
  let databaseUrl: string;
  let description: string;

  if (process.env.KAFKA_BROKERS && process.env.DATABASE_URL) {
    kafkaBrokers = process.env.KAFKA_BROKERS.split(',');
    databaseUrl = process.env.DATABASE_URL;
    description = `environment: Kafka ${kafkaBrokers.join(',')}`;
  } else if (dockerEngineAnswers()) {
    const { RedpandaContainer } = await import('@testcontainers/redpanda');
    const { PostgreSqlContainer } = await import('@testcontainers/postgresql');
    log('Docker engine found: starting Redpanda and PostgreSQL with testcontainers');
    const [redpanda, pg] = await Promise.all([
      new RedpandaContainer('docker.redpanda.com/redpandadata/redpanda:v25.2.1').start(),
      new PostgreSqlContainer('postgres:17-alpine').start(),
    ]);
    teardowns.push(
      () => redpanda.stop(),
      () => pg.stop(),
    );
    kafkaBrokers = [redpanda.getBootstrapServers()];
    databaseUrl = pg.getConnectionUri();
    description = 'testcontainers: Redpanda + PostgreSQL';
  } else {
    const running = readState();
    if (running?.mode === 'native' && running.brokers.every((b) => isAlive(b.pid))) {
      log(`reusing the running native stack (${running.brokers.length} broker(s))`);
    } else {
      log('no Docker engine: starting the native stack (Apache Kafka KRaft from Maven Central jars)');
      await stackUp({ mode: 'native', databaseUrl: process.env.DATABASE_URL || undefined });
      teardowns.push(() => stackDown());
    }
    const state = readState()!;
    kafkaBrokers = state.kafkaBrokers;
    databaseUrl = state.databaseUrl;
    description = `native Apache Kafka ${(await import('../../infra/native/kafka.ts')).KAFKA_VERSION} (${state.brokers.length} broker(s))`;
  }

  await groupCoordinatorReady(kafkaBrokers);

  const templateDatabase = `cvtest_template_${process.pid}`;
  await prepareTemplate(databaseUrl, templateDatabase);
  teardowns.push(
    () => dropDatabases(databaseUrl, `cvtest_${process.pid}\\_%`),
    () => dropDatabases(databaseUrl, templateDatabase),
  );
  const pgVersion = await serverVersion(databaseUrl);
  description += ` + PostgreSQL ${pgVersion}`;
  log(
    `integration tests run against ${description}; Kafka ${kafkaBrokers.join(',')}; ${redact(databaseUrl)}`,
  );

  project.provide('stack', { kafkaBrokers, databaseUrl, templateDatabase, description });
  return async () => {
    for (const t of teardowns.reverse()) await t();
  };
}

async function serverVersion(url: string): Promise<string> {
  const sql = postgres(adminUrl(url), { max: 1, onnotice: () => {} });
  try {
    const [row] = await sql`show server_version`;
    return String(row?.server_version).split(' ')[0] ?? '?';
  } finally {
    await sql.end();
  }
}

async function prepareTemplate(url: string, name: string): Promise<void> {
  // Databases left by earlier runs that were killed before their teardown: every test database carries
  // the pid of the run that made it, so runs of other checkouts sharing this server are left alone.
  await dropAbandonedDatabases(url, 'cvtest_');
  const template = new URL(url);
  template.pathname = `/${name}`;
  await migrateDatabase(template.toString());
}

/**
 * A fresh broker creates its offsets topic on the first group look-up, and answers "coordinator not
 * available" until it is ready: on a loaded machine longer than kafkajs' own retries, which failed a CI
 * run's first consumer group (KafkaJSGroupCoordinatorNotFound). Done once here, before any test.
 */
async function groupCoordinatorReady(brokers: string[]): Promise<void> {
  const admin = createKafka({ brokers, clientId: 'test-setup' }).admin();
  await admin.connect();
  try {
    const deadline = Date.now() + 120_000;
    for (;;) {
      try {
        await admin.fetchOffsets({ groupId: 'test-setup-warm-up' });
        return;
      } catch (err) {
        if (Date.now() > deadline) throw err;
        await new Promise((r) => setTimeout(r, 500));
      }
    }
  } finally {
    await admin.disconnect();
  }
}
