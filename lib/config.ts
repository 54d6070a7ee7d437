// The one place that reads environment variables. Everything else receives typed options.
// A wrong value stops start-up with a message naming the variable and what it expects.
import { z } from 'zod';
import { brokerList, defaultInstanceId, identifier, int, postgresUrl } from './config-fields.ts';
import { shownValue } from './config-redact.ts';
import { ConfigError } from './errors.ts';
import { defaultRetrySchedule, parseSchedule } from './webhooks/schedule.ts';

/**
 * How the engine delivers: exactly-once, or one of the verifier's negative controls. The engine has
 * the same list (lib/kafka/types.ts); config keeps its own so it depends on no layer it configures,
 * and a unit test holds the two lists equal.
 */
export const deliveryModes = ['exactly-once', 'at-least-once', 'read-then-fence'] as const;
export type DeliveryMode = (typeof deliveryModes)[number];

const schema = z.object({
  APP_NAME: identifier.default('cv-evaluator'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  /** auto: readable lines on a terminal, JSON otherwise */
  LOG_FORMAT: z.enum(['auto', 'json', 'pretty']).default('auto'),
  INSTANCE_ID: identifier.default(defaultInstanceId),
  /**
   * how long a function may take to stop once signalled (SIGTERM): within the platform's grace (Cloud Run
   * 10 s; the Kubernetes manifests 30 s, a 5 s preStop pause included); past it the process exits 1
   */
  SHUTDOWN_TIMEOUT_MS: int(1000, 600_000).default(8_000),

  DATABASE_URL: postgresUrl.default('postgres://postgres@127.0.0.1:5432/cv_evaluator'),
  DATABASE_POOL_SIZE: int(1, 100).default(10),
  /** most time a statement or transaction waits for PostgreSQL's answer before it counts as an outage (0 = no bound) */
  DATABASE_QUERY_TIMEOUT_MS: int(0, 600_000).default(10_000),
  /** the same bound for the retention sweep, whose batches go through whole tables (0 = no bound) */
  DATABASE_MAINTENANCE_TIMEOUT_MS: int(0, 3_600_000).default(300_000),

  KAFKA_BROKERS: brokerList.default(['127.0.0.1:9092']),
  KAFKA_TOPIC_JOBS: identifier.default('evaluate-jobs'),
  KAFKA_TOPIC_RESULTS: identifier.default('evaluate-results'),
  KAFKA_TOPIC_DLQ: identifier.default('evaluate-jobs-dlq'),
  KAFKA_TOPIC_PARTITIONS: int(1, 1000).default(12),
  KAFKA_REPLICATION_FACTOR: int(1, 5).default(1),
  KAFKA_EVALUATE_GROUP: identifier.default('cv-evaluator-evaluate'),
  /** Only for the verifier's negative controls; anything but exactly-once is loudly logged. */
  KAFKA_DELIVERY_MODE: z.enum(deliveryModes).default('exactly-once'),
  /** most bytes of outputs per produce request of a consumer transaction; lowered by itself on refusal */
  KAFKA_MAX_SEND_BYTES: int(1024, 64 * 1024 * 1024).default(512 * 1024),

  PORT: int(1, 65535).default(8080),
  HOST: z.string().min(1).default('0.0.0.0'),
  SUBMIT_PRODUCER_SLOTS: int(1, 64).default(1),
  UPLOAD_MAX_BYTES: int(1, 100 * 1024 * 1024).default(10 * 1024 * 1024),
  /** upload bytes one submit instance holds at once (lib/limits/upload-memory.ts) */
  UPLOAD_BUFFER_MB: int(1, 4096).default(48),
  /**
   * Most time a request's body may take to arrive (Node's requestTimeout; checked every 5 s). An upload
   * holds its share of UPLOAD_BUFFER_MB until its body is in: a client trickling one large body would
   * otherwise hold it for Node's default of 300 s, and send it again.
   */
  REQUEST_BODY_TIMEOUT_MS: int(5_000, 600_000).default(60_000),
  /** how long one publisher (a request, or the sweeper) owns publishing a job; above PUBLISH_TIMEOUT_MS */
  PUBLISH_LEASE_MS: int(1000, 600_000).default(15_000),
  /** how long publishing one request record may take before submit answers 503 */
  PUBLISH_TIMEOUT_MS: int(100, 300_000).default(5_000),

  /** a revoked key stops working within this long (the key cache's fixed expiry) */
  API_KEY_CACHE_TTL_MS: int(0, 3_600_000).default(30_000),
  API_KEY_NEGATIVE_CACHE_TTL_MS: int(0, 3_600_000).default(30_000),

  /** per-client limits, counted in PostgreSQL so they hold across submit instances (0 = no limit) */
  RATE_LIMIT_WINDOW_SECONDS: int(1, 86_400).default(60),
  RATE_LIMIT_UPLOADS: int(0).default(30),
  RATE_LIMIT_EVALUATIONS: int(0).default(60),
  JOB_QUOTA_PER_DAY: int(0).default(1000),
  /** characters of CV + project text + overrides one job may send to the LLM */
  JOB_INPUT_MAX_CHARS: int(1000).default(300_000),
  /** uploads, jobs and results older than this are erased by the retention sweeper (0 = keep) */
  RETENTION_DAYS: int(0, 36_500).default(30),

  /** the extraction sandbox: worker threads parsing uploads (see lib/extraction/sandbox.ts) */
  EXTRACT_WORKERS: int(1, 64).default(1),
  EXTRACT_QUEUE: int(0, 10_000).default(16),
  EXTRACT_QUEUE_TIMEOUT_MS: int(0).default(30_000),
  EXTRACT_TIMEOUT_MS: int(100).default(5_000),
  EXTRACT_WORKER_HEAP_MB: int(32, 4096).default(96),
  EXTRACT_WORKER_MEMORY_MB: int(32, 8192).default(160),
  EXTRACT_MAX_PAGES: int(1, 10_000).default(50),
  EXTRACT_MAX_INFLATED_BYTES: int(1024).default(64 * 1024 * 1024),
  EXTRACT_MAX_PART_BYTES: int(1024).default(8 * 1024 * 1024),
  EXTRACT_MAX_CHARS: int(1000).default(200_000),

  EVALUATE_MAX_DURATION_MS: int(1000).default(60_000),
  EVALUATE_MAX_IDLE_MS: int(100).default(3_000),
  EVALUATE_MAX_RECORDS: int(0).default(0),
  EVALUATE_SESSION_TIMEOUT_MS: int(1000, 300_000).default(10_000),
  EVALUATE_MAX_ATTEMPTS: int(1, 100).default(3),
  EVALUATE_CONCURRENCY: int(1, 1000).default(32),
  EVALUATE_LOOP_PAUSE_MS: int(0).default(1_000),
  EVALUATE_OUTAGE_BUDGET_MS: int(0).default(30_000),
  EVALUATE_CLAIM_LEASE_MS: int(1000).default(30_000),
  /** the sweeper republishes jobs accepted but still unpublished after this long */
  SWEEP_UNPUBLISHED_AFTER_MS: int(0).default(30_000),

  LLM_PROVIDER: z.enum(['offline', 'openai-compatible']).default('offline'),
  LLM_BASE_URL: z.url({ error: 'an http(s) URL' }).optional(),
  LLM_API_KEY: z.string().optional(),
  LLM_MODEL: z.string().min(1).default('gpt-4o-mini'),
  LLM_TIMEOUT_MS: int(100).default(30_000),
  LLM_CONCURRENCY: int(1, 256).default(8),
  /** redact personal data before text reaches the model: auto = only for remote (non-loopback) servers */
  LLM_REDACT: z.enum(['auto', 'on', 'off']).default('auto'),
  /** max_tokens of every LLM call: bounds what one call may cost */
  LLM_MAX_TOKENS: int(16, 100_000).default(1024),
  /** simulated latency per step of the offline provider (load tests, the chaos verifier) */
  OFFLINE_PROVIDER_DELAY_MS: int(0, 60_000).default(0),

  KAFKA_NOTIFY_GROUP: identifier.default('cv-evaluator-notify'),
  KAFKA_TOPIC_NOTIFY_DLQ: identifier.default('evaluate-results-dlq'),
  NOTIFY_MAX_DURATION_MS: int(1000).default(60_000),
  NOTIFY_MAX_IDLE_MS: int(100).default(3_000),
  NOTIFY_SESSION_TIMEOUT_MS: int(1000, 300_000).default(30_000),
  NOTIFY_CONCURRENCY: int(1, 1000).default(32),
  /** attempts in flight to one endpoint: a hanging endpoint holds these slots and no others */
  NOTIFY_ENDPOINT_CONCURRENCY: int(1, 1000).default(16),
  NOTIFY_LOOP_PAUSE_MS: int(0).default(1_000),
  NOTIFY_OUTAGE_BUDGET_MS: int(0).default(30_000),
  /** delays before each attempt, Standard Webhooks' by default; compress it for tests */
  WEBHOOK_RETRY_SCHEDULE: z
    .string()
    .default(defaultRetrySchedule)
    .transform((s, ctx) => {
      try {
        return parseSchedule(s);
      } catch (err) {
        ctx.addIssue({
          code: 'custom',
          message: `a comma-separated schedule like "${defaultRetrySchedule}" (${err})`,
        });
        return z.NEVER;
      }
    }),
  WEBHOOK_TIMEOUT_MS: int(100, 60_000).default(15_000),
  /** how long the previous secret keeps signing after a rotation */
  WEBHOOK_SECRET_OVERLAP_MS: int(0).default(24 * 3_600_000),
  /** local development and tests only: lets webhooks reach loopback and private addresses */
  WEBHOOKS_ALLOW_PRIVATE: z.enum(['true', 'false'], { error: 'true or false' }).default('false'),
  /** the service's public URL, for the links in webhook payloads (relative links without it) */
  PUBLIC_BASE_URL: z.url({ error: 'an http(s) URL' }).optional(),
});
type Env = z.infer<typeof schema>;

export interface Config {
  appName: string;
  logLevel: Env['LOG_LEVEL'];
  logFormat: Env['LOG_FORMAT'];
  instanceId: string;
  /** how long a function may take to stop once signalled (lib/util/stop-deadline.ts) */
  shutdownTimeoutMs: number;
  database: { url: string; poolSize: number; queryTimeoutMs: number; maintenanceTimeoutMs: number };
  kafka: {
    brokers: string[];
    topics: { jobs: string; results: string; dlq: string };
    partitions: number;
    replicationFactor: number;
    evaluateGroup: string;
    deliveryMode: DeliveryMode;
    /** bytes of outputs per produce request of a consumer transaction (lib/kafka/transaction-size.ts) */
    maxSendBytes: number;
  };
  submit: {
    port: number;
    host: string;
    producerSlots: number;
    uploadMaxBytes: number;
    uploadBufferBytes: number;
    requestBodyTimeoutMs: number;
    apiKeyCacheTtlMs: number;
    apiKeyNegativeTtlMs: number;
  };
  limits: {
    windowSeconds: number;
    uploads: number;
    evaluations: number;
    jobsPerDay: number;
    jobInputMaxChars: number;
  };
  retention: { days: number };
  extraction: {
    workers: number;
    queue: number;
    queueTimeoutMs: number;
    timeoutMs: number;
    heapMb: number;
    memoryMb: number;
    limits: {
      maxPages: number;
      timeoutMs: number;
      maxInflatedBytes: number;
      maxPartBytes: number;
      maxChars: number;
    };
  };
  /** publishing a job's request record, by submit and by the sweeper alike */
  publish: { leaseMs: number; timeoutMs: number };
  evaluate: {
    maxDurationMs: number;
    maxIdleMs: number;
    maxRecords: number;
    sessionTimeoutMs: number;
    maxAttempts: number;
    concurrency: number;
    loopPauseMs: number;
    /** how long a database outage is waited out before the invocation ends non-zero */
    outageBudgetMs: number;
    claimLeaseMs: number; // how long a provider-call claim holds its job against a second owner
    sweepUnpublishedAfterMs: number;
  };
  notify: {
    group: string;
    dlqTopic: string;
    maxDurationMs: number;
    maxIdleMs: number;
    sessionTimeoutMs: number;
    concurrency: number;
    endpointConcurrency: number;
    loopPauseMs: number;
    outageBudgetMs: number;
  };
  webhooks: {
    retrySchedule: number[];
    timeoutMs: number;
    secretOverlapMs: number;
    allowPrivate: boolean;
    publicBaseUrl: string;
  };
  llm: {
    provider: Env['LLM_PROVIDER'];
    baseUrl: string | undefined;
    apiKey: string | undefined;
    model: string;
    timeoutMs: number;
    concurrency: number;
    redact: Env['LLM_REDACT'];
    offlineDelayMs: number;
    maxTokens: number;
  };
}

/** Every variable the code reads; deploy manifests and compose files are checked against this. */
export const configVariables = Object.keys(schema.shape) as (keyof Env)[];

export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  // An empty string means "unset": shells and compose files produce them easily.
  const cleaned = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const parsed = schema.safeParse(cleaned);
  if (!parsed.success) {
    throw new ConfigError(
      parsed.error.issues.map((issue) => {
        const name = String(issue.path[0] ?? '?');
        const got = shownValue(name, cleaned[name]);
        return `${name} must be ${issue.message}${got === undefined ? '' : ` (got ${JSON.stringify(got)})`}`;
      }),
    );
  }
  const e = parsed.data;
  if (e.LLM_PROVIDER === 'openai-compatible' && !e.LLM_BASE_URL && !e.LLM_API_KEY) {
    throw new ConfigError([
      'LLM_PROVIDER=openai-compatible needs LLM_BASE_URL (a local server) or LLM_API_KEY (OpenAI)',
    ]);
  }
  // A lease that could expire under a publish still in progress would let a second publisher in.
  if (e.PUBLISH_LEASE_MS <= e.PUBLISH_TIMEOUT_MS) {
    throw new ConfigError([
      `PUBLISH_LEASE_MS must be above PUBLISH_TIMEOUT_MS (got ${e.PUBLISH_LEASE_MS} and ${e.PUBLISH_TIMEOUT_MS})`,
    ]);
  }
  return {
    appName: e.APP_NAME,
    logLevel: e.LOG_LEVEL,
    logFormat: e.LOG_FORMAT,
    instanceId: e.INSTANCE_ID,
    shutdownTimeoutMs: e.SHUTDOWN_TIMEOUT_MS,
    database: {
      url: e.DATABASE_URL,
      poolSize: e.DATABASE_POOL_SIZE,
      queryTimeoutMs: e.DATABASE_QUERY_TIMEOUT_MS,
      maintenanceTimeoutMs: e.DATABASE_MAINTENANCE_TIMEOUT_MS,
    },
    kafka: {
      brokers: e.KAFKA_BROKERS,
      topics: { jobs: e.KAFKA_TOPIC_JOBS, results: e.KAFKA_TOPIC_RESULTS, dlq: e.KAFKA_TOPIC_DLQ },
      partitions: e.KAFKA_TOPIC_PARTITIONS,
      replicationFactor: e.KAFKA_REPLICATION_FACTOR,
      evaluateGroup: e.KAFKA_EVALUATE_GROUP,
      deliveryMode: e.KAFKA_DELIVERY_MODE,
      maxSendBytes: e.KAFKA_MAX_SEND_BYTES,
    },
    submit: {
      port: e.PORT,
      host: e.HOST,
      producerSlots: e.SUBMIT_PRODUCER_SLOTS,
      uploadMaxBytes: e.UPLOAD_MAX_BYTES,
      uploadBufferBytes: e.UPLOAD_BUFFER_MB * 1024 * 1024,
      requestBodyTimeoutMs: e.REQUEST_BODY_TIMEOUT_MS,
      apiKeyCacheTtlMs: e.API_KEY_CACHE_TTL_MS,
      apiKeyNegativeTtlMs: e.API_KEY_NEGATIVE_CACHE_TTL_MS,
    },
    limits: {
      windowSeconds: e.RATE_LIMIT_WINDOW_SECONDS,
      uploads: e.RATE_LIMIT_UPLOADS,
      evaluations: e.RATE_LIMIT_EVALUATIONS,
      jobsPerDay: e.JOB_QUOTA_PER_DAY,
      jobInputMaxChars: e.JOB_INPUT_MAX_CHARS,
    },
    retention: { days: e.RETENTION_DAYS },
    extraction: {
      workers: e.EXTRACT_WORKERS,
      queue: e.EXTRACT_QUEUE,
      queueTimeoutMs: e.EXTRACT_QUEUE_TIMEOUT_MS,
      timeoutMs: e.EXTRACT_TIMEOUT_MS,
      heapMb: e.EXTRACT_WORKER_HEAP_MB,
      memoryMb: e.EXTRACT_WORKER_MEMORY_MB,
      limits: {
        maxPages: e.EXTRACT_MAX_PAGES,
        timeoutMs: e.EXTRACT_TIMEOUT_MS,
        maxInflatedBytes: e.EXTRACT_MAX_INFLATED_BYTES,
        maxPartBytes: e.EXTRACT_MAX_PART_BYTES,
        maxChars: e.EXTRACT_MAX_CHARS,
      },
    },
    publish: { leaseMs: e.PUBLISH_LEASE_MS, timeoutMs: e.PUBLISH_TIMEOUT_MS },
    evaluate: {
      maxDurationMs: e.EVALUATE_MAX_DURATION_MS,
      maxIdleMs: e.EVALUATE_MAX_IDLE_MS,
      maxRecords: e.EVALUATE_MAX_RECORDS,
      sessionTimeoutMs: e.EVALUATE_SESSION_TIMEOUT_MS,
      maxAttempts: e.EVALUATE_MAX_ATTEMPTS,
      concurrency: e.EVALUATE_CONCURRENCY,
      loopPauseMs: e.EVALUATE_LOOP_PAUSE_MS,
      outageBudgetMs: e.EVALUATE_OUTAGE_BUDGET_MS,
      claimLeaseMs: e.EVALUATE_CLAIM_LEASE_MS,
      sweepUnpublishedAfterMs: e.SWEEP_UNPUBLISHED_AFTER_MS,
    },
    notify: {
      group: e.KAFKA_NOTIFY_GROUP,
      dlqTopic: e.KAFKA_TOPIC_NOTIFY_DLQ,
      maxDurationMs: e.NOTIFY_MAX_DURATION_MS,
      maxIdleMs: e.NOTIFY_MAX_IDLE_MS,
      sessionTimeoutMs: e.NOTIFY_SESSION_TIMEOUT_MS,
      concurrency: e.NOTIFY_CONCURRENCY,
      endpointConcurrency: e.NOTIFY_ENDPOINT_CONCURRENCY,
      loopPauseMs: e.NOTIFY_LOOP_PAUSE_MS,
      outageBudgetMs: e.NOTIFY_OUTAGE_BUDGET_MS,
    },
    webhooks: {
      retrySchedule: e.WEBHOOK_RETRY_SCHEDULE,
      timeoutMs: e.WEBHOOK_TIMEOUT_MS,
      secretOverlapMs: e.WEBHOOK_SECRET_OVERLAP_MS,
      allowPrivate: e.WEBHOOKS_ALLOW_PRIVATE === 'true',
      publicBaseUrl: e.PUBLIC_BASE_URL ?? '',
    },
    llm: {
      provider: e.LLM_PROVIDER,
      baseUrl: e.LLM_BASE_URL,
      apiKey: e.LLM_API_KEY,
      model: e.LLM_MODEL,
      timeoutMs: e.LLM_TIMEOUT_MS,
      concurrency: e.LLM_CONCURRENCY,
      redact: e.LLM_REDACT,
      offlineDelayMs: e.OFFLINE_PROVIDER_DELAY_MS,
      maxTokens: e.LLM_MAX_TOKENS,
    },
  };
}

/** For entrypoints: load or print the problems and exit 78 (EX_CONFIG), which job platforms do not retry. */
export function loadConfigOrExit(env: Record<string, string | undefined> = process.env): Config {
  try {
    return loadConfig(env);
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`${err.message}\n`);
      process.exit(78);
    }
    throw err;
  }
}
