// The durable state of the service. Kafka holds the queue; PostgreSQL holds uploads, jobs and the one
// result per job (G2: the primary key on results.job_id is what makes a second result impossible).
import { sql } from 'drizzle-orm';
import {
  bigint,
  bigserial,
  check,
  foreignKey,
  index,
  integer,
  jsonb,
  numeric,
  pgTable,
  primaryKey,
  text,
  timestamp,
  uniqueIndex,
  uuid,
} from 'drizzle-orm/pg-core';
import { deliveryStatuses, jobStatuses, uploadKinds, webhookEndpointStatuses } from './statuses.ts';

export * from './statuses.ts';

const createdAt = () => timestamp('created_at', { withTimezone: true }).notNull().defaultNow();

export const clients = pgTable(
  'clients',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    name: text('name').notNull(),
    /** sha256 of the API key. Keys are 256-bit random, so a fast hash is enough (no dictionary to guess). */
    /** The first key of clients created before api_keys existed; keys now live in api_keys. */
    apiKeyHash: text('api_key_hash'),
    createdAt: createdAt(),
  },
  (t) => [uniqueIndex('clients_api_key_hash_key').on(t.apiKeyHash)],
);

/**
 * A client's API keys: only the sha256 of each is stored. Two live keys at once make rotation possible
 * (create the new one, switch, revoke the old). A key works until revoked_at or expires_at.
 */
export const apiKeys = pgTable(
  'api_keys',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    clientId: uuid('client_id')
      .notNull()
      .references(() => clients.id),
    keyHash: text('key_hash').notNull(),
    createdAt: createdAt(),
    expiresAt: timestamp('expires_at', { withTimezone: true }),
    revokedAt: timestamp('revoked_at', { withTimezone: true }),
  },
  (t) => [
    uniqueIndex('api_keys_key_hash_key').on(t.keyHash),
    index('api_keys_client_idx').on(t.clientId, t.createdAt),
  ],
);

/** Fixed-window counters for rate limits and quotas, shared by every submit instance. */
export const rateCounters = pgTable(
  'rate_counters',
  {
    clientId: uuid('client_id').notNull(),
    bucket: text('bucket').notNull(),
    windowStart: timestamp('window_start', { withTimezone: true }).notNull(),
    count: integer('count').notNull().default(0),
  },
  (t) => [primaryKey({ name: 'rate_counters_pk', columns: [t.clientId, t.bucket, t.windowStart] })],
);

// Jobs erased on request or by retention, and the tombstones they are owed (lib/jobs/retention.ts).
export { erasedJobs } from './schema-erasure.ts';

/** Who read which result, when (GET /v1/result/{id}). */
export const resultReads = pgTable(
  'result_reads',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    jobId: uuid('job_id').notNull(),
    clientId: uuid('client_id').notNull(),
    apiKeyId: uuid('api_key_id'),
    requestId: text('request_id'),
    readAt: timestamp('read_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    index('result_reads_job_idx').on(t.jobId, t.readAt),
    index('result_reads_read_at_idx').on(t.readAt),
  ],
);

export const uploads = pgTable(
  'uploads',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    clientId: uuid('client_id')
      .notNull()
      .references(() => clients.id),
    kind: text('kind', { enum: uploadKinds }).notNull(),
    filename: text('filename').notNull(),
    mediaType: text('media_type').notNull(),
    sizeBytes: integer('size_bytes').notNull(),
    sha256: text('sha256').notNull(),
    extractedText: text('extracted_text').notNull(),
    createdAt: createdAt(),
  },
  (t) => [
    check('uploads_kind_check', sql`${t.kind} in ('cv', 'project')`),
    check('uploads_size_check', sql`${t.sizeBytes} >= 0`),
    index('uploads_client_idx').on(t.clientId, t.createdAt),
    index('uploads_created_idx').on(t.createdAt),
  ],
);

export const jobs = pgTable(
  'jobs',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    clientId: uuid('client_id')
      .notNull()
      .references(() => clients.id),
    idempotencyKey: text('idempotency_key').notNull(),
    /** sha256 of the canonical request body: same key + different body → 422 (G4). */
    requestFingerprint: text('request_fingerprint').notNull(),
    cvId: uuid('cv_id')
      .notNull()
      .references(() => uploads.id),
    projectId: uuid('project_id')
      .notNull()
      .references(() => uploads.id),
    jobDescription: text('job_description'),
    studyCaseBrief: text('study_case_brief'),
    scoringRubric: text('scoring_rubric'),
    /** The position version this evaluation used (its texts replace the three above); null = ad hoc job. */
    positionId: uuid('position_id'),
    positionVersion: integer('position_version'),
    /** The batch (POST /v1/positions/{id}/evaluations) that accepted this job, and its place in it. */
    batchId: uuid('batch_id'),
    batchIndex: integer('batch_index'),
    status: text('status', { enum: jobStatuses }).notNull().default('queued'),
    errorCode: text('error_code'),
    errorMessage: text('error_message'),
    /** Processing attempts, counted here and not in memory: the process may die between attempts. */
    attempts: integer('attempts').notNull().default(0),
    /** Provider evaluations started for this job (the provider should be paid once per job). */
    providerCalls: integer('provider_calls').notNull().default(0),
    /** Token of the last counted claim: retrying a claim whose reply was lost does not count it again. */
    providerClaim: uuid('provider_claim'),
    /** The last claim holds the job until then: a second owner waits for its outcome, not paying again. */
    providerClaimUntil: timestamp('provider_claim_until', { withTimezone: true }),
    /** When the request record was committed to Kafka; null = the sweeper must republish it. */
    publishedAt: timestamp('published_at', { withTimezone: true }),
    /** A request publishing this job holds the lease until then: a same-key retry meanwhile gets 409. */
    publishLeaseUntil: timestamp('publish_lease_until', { withTimezone: true }),
    createdAt: createdAt(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    // The unique constraint, not a look-up, decides idempotency: look-up-then-insert races (G4).
    uniqueIndex('jobs_client_idempotency_key').on(t.clientId, t.idempotencyKey),
    check('jobs_status_check', sql`${t.status} in ('queued', 'processing', 'completed', 'failed')`),
    check(
      'jobs_failed_has_reason',
      sql`${t.status} <> 'failed' or (${t.errorCode} is not null and ${t.errorMessage} is not null)`,
    ),
    check('jobs_attempts_check', sql`${t.attempts} >= 0`),
    index('jobs_client_created_idx').on(t.clientId, t.createdAt, t.id),
    index('jobs_unpublished_idx').on(t.createdAt).where(sql`${t.publishedAt} is null`),
    // erasing an upload checks the jobs that use it (foreign keys, "still used"): drizzle/0012
    index('jobs_cv_idx').on(t.cvId),
    index('jobs_project_idx').on(t.projectId),
  ],
);

export const results = pgTable(
  'results',
  {
    jobId: uuid('job_id')
      .primaryKey()
      .references(() => jobs.id),
    /** Terminal outcome: a failed job's terminal record is stored and tagged exactly like a result. */
    outcome: text('outcome', { enum: ['completed', 'failed'] }).notNull(),
    cvMatchRate: numeric('cv_match_rate', { precision: 3, scale: 2 }),
    cvFeedback: text('cv_feedback'),
    projectScore: numeric('project_score', { precision: 3, scale: 1 }),
    projectFeedback: text('project_feedback'),
    overallSummary: text('overall_summary'),
    cvScores: jsonb('cv_scores').$type<Record<string, number>>(),
    projectScores: jsonb('project_scores').$type<Record<string, number>>(),
    errorCode: text('error_code'),
    errorMessage: text('error_message'),
    provenance: jsonb('provenance').$type<Record<string, unknown>>().notNull(),
    /** The request record this outcome came from: tells a replay (same source) from a duplicate. */
    sourcePartition: integer('source_partition').notNull(),
    sourceOffset: bigint('source_offset', { mode: 'bigint' }).notNull(),
    createdAt: createdAt(),
  },
  (t) => [
    check('results_outcome_check', sql`${t.outcome} in ('completed', 'failed')`),
    check('results_cv_match_rate_range', sql`${t.cvMatchRate} between 0 and 1`),
    check('results_project_score_range', sql`${t.projectScore} between 1 and 10`),
    check(
      'results_completed_fields',
      sql`${t.outcome} <> 'completed' or (${t.cvMatchRate} is not null and ${t.projectScore} is not null
        and ${t.cvFeedback} is not null and ${t.projectFeedback} is not null and ${t.overallSummary} is not null
        and ${t.cvScores} is not null and ${t.projectScores} is not null)`,
    ),
    check(
      'results_failed_fields',
      sql`${t.outcome} <> 'failed' or (${t.errorCode} is not null and ${t.errorMessage} is not null)`,
    ),
    check('results_source_check', sql`${t.sourcePartition} >= 0 and ${t.sourceOffset} >= 0`),
    // each partition's latest outcomes, for `npm run offsets:restore` (lib/db/progress.ts)
    index('results_source_idx').on(t.sourcePartition, t.sourceOffset),
  ],
);

// The positions the evaluator's transactions committed (lib/kafka/progress.ts).
export { committedOffsets } from './schema-offsets.ts';

// Positions: a position's texts are versioned; editing adds a version, jobs record the one they used,
// and archiving keeps every version (jobs point at them).
export const positions = pgTable(
  'positions',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    clientId: uuid('client_id')
      .notNull()
      .references(() => clients.id),
    currentVersion: integer('current_version').notNull().default(1),
    archivedAt: timestamp('archived_at', { withTimezone: true }),
    createdAt: createdAt(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    check('positions_version_check', sql`${t.currentVersion} >= 1`),
    index('positions_client_idx').on(t.clientId, t.createdAt, t.id),
  ],
);

export const positionVersions = pgTable(
  'position_versions',
  {
    positionId: uuid('position_id')
      .notNull()
      .references(() => positions.id),
    version: integer('version').notNull(),
    title: text('title').notNull(),
    jobDescription: text('job_description').notNull(),
    studyCaseBrief: text('study_case_brief').notNull(),
    scoringRubric: text('scoring_rubric').notNull(),
    createdAt: createdAt(),
  },
  (t) => [
    primaryKey({ name: 'position_versions_pkey', columns: [t.positionId, t.version] }),
    check('position_versions_version_check', sql`${t.version} >= 1`),
  ],
);

/** One accepted batch of evaluations: its (client, key) is unique, like a single job's (G4). */
export const evaluationBatches = pgTable(
  'evaluation_batches',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    clientId: uuid('client_id')
      .notNull()
      .references(() => clients.id),
    idempotencyKey: text('idempotency_key').notNull(),
    requestFingerprint: text('request_fingerprint').notNull(),
    positionId: uuid('position_id').notNull(),
    positionVersion: integer('position_version').notNull(),
    size: integer('size').notNull(),
    createdAt: createdAt(),
  },
  (t) => [
    uniqueIndex('evaluation_batches_client_key').on(t.clientId, t.idempotencyKey),
    foreignKey({
      name: 'evaluation_batches_position_fk',
      columns: [t.positionId, t.positionVersion],
      foreignColumns: [positionVersions.positionId, positionVersions.version],
    }),
    check('evaluation_batches_size_check', sql`${t.size} between 1 and 100`),
  ],
);

export const webhookEndpoints = pgTable(
  'webhook_endpoints',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    clientId: uuid('client_id')
      .notNull()
      .references(() => clients.id),
    url: text('url').notNull(),
    eventTypes: text('event_types').array().notNull(),
    description: text('description'),
    status: text('status', { enum: webhookEndpointStatuses }).notNull().default('active'),
    disabledReason: text('disabled_reason'),
    disabledAt: timestamp('disabled_at', { withTimezone: true }),
    createdAt: createdAt(),
  },
  (t) => [
    check('webhook_endpoints_status_check', sql`${t.status} in ('active', 'disabled', 'deleted')`),
    index('webhook_endpoints_client_idx').on(t.clientId, t.createdAt, t.id),
  ],
);

/** Signing secrets; during a rotation two are live (expires_at null or in the future) and both sign. */
export const webhookSecrets = pgTable(
  'webhook_secrets',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    endpointId: uuid('endpoint_id')
      .notNull()
      .references(() => webhookEndpoints.id),
    secret: text('secret').notNull(),
    createdAt: createdAt(),
    expiresAt: timestamp('expires_at', { withTimezone: true }),
  },
  (t) => [index('webhook_secrets_endpoint_idx').on(t.endpointId, t.createdAt)],
);

/**
 * One event for one endpoint. Created once (unique endpoint, job, event), tagged with the result record
 * it came from like an evaluator outcome; its id is the webhook-id of every attempt. A retry due later
 * is next_attempt_at here, not a timer in a process; locked_until is the lease of an attempt in flight.
 */
export const webhookDeliveries = pgTable(
  'webhook_deliveries',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    endpointId: uuid('endpoint_id')
      .notNull()
      .references(() => webhookEndpoints.id),
    clientId: uuid('client_id')
      .notNull()
      .references(() => clients.id),
    jobId: uuid('job_id')
      .notNull()
      .references(() => jobs.id),
    eventType: text('event_type').notNull(),
    payload: text('payload').notNull(),
    status: text('status', { enum: deliveryStatuses }).notNull().default('pending'),
    attempts: integer('attempts').notNull().default(0),
    nextAttemptAt: timestamp('next_attempt_at', { withTimezone: true }),
    lockedUntil: timestamp('locked_until', { withTimezone: true }),
    lastStatus: integer('last_status'),
    lastError: text('last_error'),
    firstAttemptAt: timestamp('first_attempt_at', { withTimezone: true }),
    lastAttemptAt: timestamp('last_attempt_at', { withTimezone: true }),
    deliveredAt: timestamp('delivered_at', { withTimezone: true }),
    sourcePartition: integer('source_partition').notNull(),
    sourceOffset: bigint('source_offset', { mode: 'bigint' }).notNull(),
    createdAt: createdAt(),
  },
  (t) => [
    check(
      'webhook_deliveries_status_check',
      sql`${t.status} in ('pending', 'delivered', 'failed', 'cancelled')`,
    ),
    check(
      'webhook_deliveries_pending_scheduled',
      sql`${t.status} <> 'pending' or ${t.nextAttemptAt} is not null`,
    ),
    check('webhook_deliveries_source_check', sql`${t.sourcePartition} >= 0 and ${t.sourceOffset} >= 0`),
    uniqueIndex('webhook_deliveries_endpoint_job_key').on(t.endpointId, t.jobId, t.eventType),
    index('webhook_deliveries_due_idx').on(t.nextAttemptAt).where(sql`${t.status} = 'pending'`),
    index('webhook_deliveries_endpoint_idx').on(t.endpointId, t.createdAt, t.id),
    index('webhook_deliveries_job_idx').on(t.jobId),
  ],
);

/** Web console sessions: the cookie holds a random token, this table its sha256 (issue 16). */
export const consoleSessions = pgTable(
  'console_sessions',
  {
    tokenHash: text('token_hash').primaryKey(),
    clientId: uuid('client_id')
      .notNull()
      .references(() => clients.id, { onDelete: 'cascade' }),
    /** the key that signed in: a session outlives neither its key's rotation nor its revocation */
    apiKeyHash: text('api_key_hash').notNull(),
    csrfToken: text('csrf_token').notNull(),
    createdAt: createdAt(),
    expiresAt: timestamp('expires_at', { withTimezone: true }).notNull(),
  },
  (t) => [index('console_sessions_expires_idx').on(t.expiresAt)],
);
