// Builds the submit app against the test file's own database and topics, with real Kafka publishing.
import type { OpenAPIHono } from '@hono/zod-openapi';
import { type ApiDeps, createApp } from '../../lib/api/app.ts';
import { type Config, loadConfig } from '../../lib/config.ts';
import { createClient } from '../../lib/db/api-clients.ts';
import { closeDatabase, createDatabase, type Database } from '../../lib/db/database.ts';
import { RequestPublisher } from '../../lib/kafka/request-publisher.ts';
import type { OutputRecord } from '../../lib/kafka/types.ts';
import { testLogger } from './engine.ts';
import type { IsolatedStack } from './isolation.ts';

export interface ApiHarness {
  app: OpenAPIHono<never>;
  db: Database;
  publisher: RequestPublisher;
  topics: { jobs: string; results: string; dlq: string };
  keyA: string;
  keyB: string;
  /** replaces how the app publishes (e.g. a broker that does not answer) */
  setPublish(fn: ((r: OutputRecord) => Promise<void>) | undefined): void;
  close(): Promise<void>;
}

export async function apiHarness(
  stack: IsolatedStack,
  options: {
    uploadMaxBytes?: number;
    queueStats?: ApiDeps['queueStats'];
    allowPrivateWebhooks?: boolean;
    databaseUrl?: string;
    /** the pool's DATABASE_QUERY_TIMEOUT_MS (default: no bound) */
    queryTimeoutMs?: number;
    limits?: Partial<Config['limits']>;
    keyCacheTtlMs?: number;
    uploadMemory?: ApiDeps['uploadMemory'];
    offlineScreening?: boolean;
  } = {},
): Promise<ApiHarness> {
  const topics = { jobs: stack.topic('jobs'), results: stack.topic('results'), dlq: stack.topic('dlq') };
  await stack.createTopics(Object.values(topics));
  const db = createDatabase(options.databaseUrl ?? stack.databaseUrl, {
    poolSize: 10,
    queryTimeoutMs: options.queryTimeoutMs ?? 0,
  });
  const publisher = new RequestPublisher({
    kafka: stack.kafka,
    app: stack.prefix,
    instanceId: 'api-test',
    slots: 2,
    logger: testLogger,
  });
  let override: ((r: OutputRecord) => Promise<void>) | undefined;
  const app = createApp({
    db,
    publish: (r) => (override ? override(r) : publisher.publish(r)),
    publishAll: (rs) =>
      override ? Promise.all(rs.map((r) => override!(r))).then(() => {}) : publisher.publishAll(rs),
    webhooks: { allowPrivate: options.allowPrivateWebhooks ?? true, secretOverlapMs: 60_000 },
    jobsTopic: topics.jobs,
    resultsTopic: topics.results,
    // Most tests are not about abuse limits: none unless the test sets them.
    limits: {
      windowSeconds: 60,
      uploads: 0,
      evaluations: 0,
      jobsPerDay: 0,
      jobInputMaxChars: 300_000,
      ...options.limits,
    },
    keyCache: { ttlMs: options.keyCacheTtlMs ?? 30_000, negativeTtlMs: options.keyCacheTtlMs ?? 30_000 },
    uploadMaxBytes: options.uploadMaxBytes ?? 10 * 1024 * 1024,
    publishing: { ...loadConfig({}).publish, timeoutMs: 3000 },
    logger: testLogger,
    readiness: { database: async () => {}, broker: async () => {} },
    queueStats: options.queueStats,
    uploadMemory: options.uploadMemory,
    offlineScreening: options.offlineScreening,
  });
  const keyA = (await createClient(db, 'client-a')).apiKey;
  const keyB = (await createClient(db, 'client-b')).apiKey;
  return {
    app: app as unknown as OpenAPIHono<never>,
    db,
    publisher,
    topics,
    keyA,
    keyB,
    setPublish: (fn) => {
      override = fn;
    },
    close: async () => {
      await publisher.close();
      await closeDatabase(db);
    },
  };
}

export function uploadForm(
  files: Record<string, { bytes: Uint8Array | string; name: string; type?: string }>,
  extra: Record<string, string> = {},
) {
  const form = new FormData();
  for (const [field, f] of Object.entries(files)) {
    form.append(
      field,
      new Blob([f.bytes as BlobPart], { type: f.type ?? 'application/octet-stream' }),
      f.name,
    );
  }
  for (const [k, v] of Object.entries(extra)) form.append(k, v);
  return form;
}
