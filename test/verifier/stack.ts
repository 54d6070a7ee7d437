// Stage 1: the stack of a run — the native stack (reused when it runs with the right size, else started
// here), the run's own database and topics, the outage proxy in front of PostgreSQL, the metered
// provider, and the environment every function process gets.
import { randomUUID } from 'node:crypto';
import type { Kafka } from 'kafkajs';
import postgres from 'postgres';
import { observeStack, readState, type StackState, stackDown, stackUp } from '../../infra/native/stack.ts';
import { decideUp } from '../../infra/native/stack-guard.ts';
import { migrateDatabase } from '../../lib/db/migrate.ts';
import { createKafka } from '../../lib/kafka/client.ts';
import { createTopicsAndWait } from '../../lib/kafka/topics.ts';
import { RESULTS_TOPIC_SETTINGS } from '../../lib/records/result-event.ts';
import { functionRuntimeEnv } from '../../lib/util/function-runtime.ts';
import { log, retrying, type VerifyOptions } from './options.ts';
import { type MeteredProvider, startMeteredProvider } from './provider.ts';
import { type OutageProxy, startOutageProxy } from './tcp-proxy.ts';

export interface RunStack {
  run: string;
  stack: StackState;
  startedStack: boolean;
  /** the run's database, straight to PostgreSQL */
  dbUrl: string;
  /** the same database through the outage proxy: what every process (and the verifier's drain) uses */
  proxiedDbUrl: string;
  proxy: OutageProxy;
  provider?: MeteredProvider;
  topics: { jobs: string; results: string; dlq: string; notifyDlq: string };
  group: string;
  kafka: Kafka;
  env: Record<string, string | undefined>;
  teardown(): Promise<void>;
}

export const webhookRetrySchedule = '0,1s,2s,4s,8s,15s,30s,60s';
export const webhookTimeoutMs = 5000;

export async function prepareStack(o: VerifyOptions): Promise<RunStack> {
  const run = `verify-${o.seed}-${randomUUID().slice(0, 4)}`;
  let startedStack = false;
  let stack = readState();
  const decision = decideUp(await observeStack(stack, o.brokers), { mode: 'native', brokers: o.brokers });
  if (decision.action !== 'reuse') {
    // stackUp refuses (with the reason) a stack of another size or one with a broker down
    stack = await stackUp({ brokers: o.brokers, mode: 'native' });
    startedStack = true;
  }
  const state = stack!;
  const db = new URL(state.databaseUrl);
  db.pathname = `/cv_${run.replace(/-/g, '_')}`;
  const dbUrl = db.toString();
  await migrateDatabase(dbUrl);
  const proxy = await startOutageProxy({ host: db.hostname, port: Number(db.port || 5432) });
  const provider = o.provider === 'metered' ? await startMeteredProvider(o.providerDelayMs) : undefined;

  const topics = {
    jobs: `${run}-jobs`,
    results: `${run}-results`,
    dlq: `${run}-dlq`,
    notifyDlq: `${run}-notify-dlq`,
  };
  const group = `${run}-evaluate`;
  const kafka = createKafka({ brokers: state.kafkaBrokers, clientId: run });
  const admin = kafka.admin();
  await admin.connect();
  await createTopicsAndWait(admin, Object.values(topics), {
    partitions: 12,
    replicationFactor: o.brokers,
    // as the functions create it: compacted as well as time-retained
    settings: { [topics.results]: RESULTS_TOPIC_SETTINGS },
  });
  await admin.disconnect();

  const proxiedDbUrl = proxy.via(dbUrl);
  const env = {
    ...process.env,
    ...functionRuntimeEnv(),
    APP_NAME: run,
    DATABASE_URL: proxiedDbUrl,
    DATABASE_POOL_SIZE: '8',
    // The verifier is one client sending thousands of jobs on purpose: abuse limits off (0 = none).
    RATE_LIMIT_UPLOADS: '0',
    RATE_LIMIT_EVALUATIONS: '0',
    JOB_QUOTA_PER_DAY: '0',
    KAFKA_BROKERS: state.kafkaBrokers.join(','),
    KAFKA_TOPIC_JOBS: topics.jobs,
    KAFKA_TOPIC_RESULTS: topics.results,
    KAFKA_TOPIC_DLQ: topics.dlq,
    KAFKA_REPLICATION_FACTOR: String(o.brokers),
    KAFKA_EVALUATE_GROUP: group,
    KAFKA_DELIVERY_MODE: o.unsafe ?? 'exactly-once',
    EVALUATE_SESSION_TIMEOUT_MS: '6000',
    EVALUATE_MAX_IDLE_MS: '4000',
    SWEEP_UNPUBLISHED_AFTER_MS: '5000',
    // notify and its webhooks (only started with --webhooks): the receiver is on loopback; the retry
    // schedule compressed from Standard Webhooks' 5 s, 5 min, 30 min… to seconds so that what a receiver
    // outage or a 429 postponed comes due within the run (≈ 2 min in all before a delivery fails)
    KAFKA_NOTIFY_GROUP: `${run}-notify`,
    KAFKA_TOPIC_NOTIFY_DLQ: topics.notifyDlq,
    NOTIFY_SESSION_TIMEOUT_MS: '6000',
    NOTIFY_MAX_IDLE_MS: '4000',
    WEBHOOKS_ALLOW_PRIVATE: 'true',
    WEBHOOK_RETRY_SCHEDULE: webhookRetrySchedule,
    WEBHOOK_TIMEOUT_MS: String(webhookTimeoutMs),
    ...(provider
      ? {
          LLM_PROVIDER: 'openai-compatible',
          LLM_BASE_URL: provider.url,
          LLM_API_KEY: 'verifier',
          LLM_CONCURRENCY: '16',
          LLM_TIMEOUT_MS: '10000',
        }
      : { LLM_PROVIDER: 'offline', OFFLINE_PROVIDER_DELAY_MS: String(o.providerDelayMs) }),
    // debug: the engine's batch lines tell the verifier when an evaluator is mid-work
    LOG_LEVEL: 'debug',
  };

  const teardown = async () => {
    await proxy.close();
    await provider?.close();
    if (!o.keep) {
      await retrying(
        'deleting the run topics',
        async () => {
          const cleanup = kafka.admin();
          await cleanup.connect();
          try {
            await cleanup.deleteTopics({ topics: Object.values(topics) });
          } finally {
            await cleanup.disconnect();
          }
        },
        30_000,
      ).catch((err) => log(`could not delete the run topics: ${err.message}`));
      const adminUrl = new URL(dbUrl);
      adminUrl.pathname = '/postgres';
      const a = postgres(adminUrl.toString(), { max: 1, onnotice: () => {} });
      await a.unsafe(`drop database if exists "${db.pathname.slice(1)}" with (force)`).catch(() => {});
      await a.end();
    }
    if (startedStack) await stackDown();
  };
  log(
    `run ${run} on ${state.kafkaBrokers.join(',')}; database ${db.pathname.slice(1)} behind proxy :${proxy.port}`,
  );
  return {
    run,
    stack: state,
    startedStack,
    dbUrl,
    proxiedDbUrl,
    proxy,
    provider,
    topics,
    group,
    kafka,
    env,
    teardown,
  };
}
