// Jobs: idempotent creation (the unique (client, key) index decides, not a look-up), the publish lease
// that tells an in-flight first request from a failed one, reads for the API, and the sweeper's query.
import { and, desc, eq, isNull, lt, or, sql } from 'drizzle-orm';
import { batchedLoader } from '../util/batched.ts';
import type { Database } from './database.ts';
import { isDatabaseUnavailable } from './errors.ts';
import { jobsLockedInIdOrder } from './job-locks.ts';
import { type JobStatus, jobs, results } from './schema.ts';
import { traced } from './trace.ts';

export interface NewJob {
  clientId: string;
  idempotencyKey: string;
  requestFingerprint: string;
  cvId: string;
  projectId: string;
  jobDescription: string | null;
  studyCaseBrief: string | null;
  scoringRubric: string | null;
}

export type JobRow = typeof jobs.$inferSelect;

/**
 * Inserts the job with a publish lease, or returns the job already holding this (client, key).
 * `created` tells which; the caller compares fingerprints.
 */
async function createOrGetJobUntraced(
  db: Database,
  job: NewJob,
  leaseMs: number,
): Promise<{ job: JobRow; created: boolean }> {
  const [inserted] = await db
    .insert(jobs)
    .values({ ...job, publishLeaseUntil: sql`now() + ${`${leaseMs} milliseconds`}::interval` })
    .onConflictDoNothing({ target: [jobs.clientId, jobs.idempotencyKey] })
    .returning();
  if (inserted) return { job: inserted, created: true };
  const [existing] = await db
    .select()
    .from(jobs)
    .where(and(eq(jobs.clientId, job.clientId), eq(jobs.idempotencyKey, job.idempotencyKey)));
  if (!existing) throw new Error('job vanished between insert and select');
  return { job: existing, created: false };
}

export interface CheckedInsert {
  /** kind of the upload named as the CV / project among the caller's uploads; null = not theirs */
  cvKind: string | null;
  projectKind: string | null;
  /** the new job's id; null when the uploads did not match, were over the budget, or the key had a job */
  jobId: string | null;
  /** characters of text the two uploads hold (those found) */
  uploadChars: number;
}

/** One request's insert: the job, the lease it takes and the most characters its two uploads may hold. */
interface InsertRequest {
  job: NewJob;
  leaseMs: number;
  maxUploadChars: number;
}

type Settled = { ok: true; value: CheckedInsert } | { ok: false; error: unknown };

/**
 * The evaluate route's hot path: checks that the two uploads are the caller's, of the right kinds and
 * within the input budget (`maxUploadChars`), and only then inserts the job with a publish lease
 * (idempotent on (client, key)). On a key conflict the caller reads the existing job (createOrGetJob).
 *
 * The requests of one tick share one statement (and one commit): under load a request's database cost
 * is its statement, not its row. The statement is a postgres.js tagged template over arrays, prepared
 * once per connection whatever the batch's size. A request that makes the whole statement fail (a
 * value PostgreSQL refuses, a deadlock) has the batch retried one request at a time, side by side, so
 * one request's error stays its own; an outage (lib/db/errors.ts) fails them all at once, with no retries.
 */
function insertJobIfUploadsMatchUntraced(
  db: Database,
  job: NewJob,
  leaseMs: number,
  maxUploadChars: number,
): Promise<CheckedInsert> {
  let load = inserters.get(db);
  if (!load) {
    load = batchedLoader((requests: InsertRequest[]) => insertSettled(db, requests));
    inserters.set(db, load);
  }
  return load({ job, leaseMs, maxUploadChars }).then((settled) => {
    if (!settled!.ok) throw settled!.error;
    return settled!.value;
  });
}

const inserters = new WeakMap<Database, (r: InsertRequest) => Promise<Settled | undefined>>();

/**
 * The most requests, and the most characters of overrides, one statement carries; a bigger tick is
 * split into statements run side by side (a tick of large overrides would otherwise make one huge one:
 * a request's three overrides may hold 300,000 characters).
 */
const MAX_INSERT_BATCH = 500;
const MAX_INSERT_CHARS = 8 * 1024 * 1024;

const overrideChars = (r: InsertRequest) =>
  (r.job.jobDescription?.length ?? 0) +
  (r.job.studyCaseBrief?.length ?? 0) +
  (r.job.scoringRubric?.length ?? 0);

/**
 * Whether a shared statement's error may belong to some of its requests only: anything but an outage,
 * and also a deadlock. Sharing a statement shares its lock waits: a row one request waits for (an
 * upload being erased) can deadlock all of them, where a lone statement would have waited alone; the
 * victim is rolled back at once and the cycle is broken, so each request is tried again alone. A
 * canceled statement (a statement timeout) stays an outage: retrying each would wait the timeout again.
 */
const retryAlone = (err: unknown) =>
  (err as { code?: unknown }).code === '40P01' || !isDatabaseUnavailable(err);

async function insertSettled(db: Database, requests: InsertRequest[]): Promise<Map<InsertRequest, Settled>> {
  const settled = new Map<InsertRequest, Settled>();
  const chunks: InsertRequest[][] = [];
  let chars = 0;
  for (const r of requests) {
    const last = chunks.at(-1);
    if (!last || last.length >= MAX_INSERT_BATCH || chars + overrideChars(r) > MAX_INSERT_CHARS) {
      chunks.push([r]);
      chars = overrideChars(r);
    } else {
      last.push(r);
      chars += overrideChars(r);
    }
  }
  await Promise.all(
    chunks.map(async (chunk) => {
      try {
        const answers = await insertJobs(db, chunk);
        for (const [i, r] of chunk.entries()) settled.set(r, { ok: true, value: answers[i]! });
      } catch (error) {
        // an outage fails every request alike: retrying each would only multiply the wait
        if (chunk.length === 1 || !retryAlone(error)) {
          for (const r of chunk) settled.set(r, { ok: false, error });
          return;
        }
        await Promise.all(
          chunk.map(async (r) => {
            try {
              settled.set(r, { ok: true, value: (await insertJobs(db, [r]))[0]! });
            } catch (err) {
              settled.set(r, { ok: false, error: err });
            }
          }),
        );
      }
    }),
  );
  return settled;
}

/**
 * One statement for many requests, answered in their order. Rows are inserted in (client, key) order,
 * so two statements that share keys wait for each other instead of deadlocking. Of requests with the
 * same (client, key) in one statement only the first may insert; the others see the key taken, as they
 * would had they come a moment later.
 */
async function insertJobs(db: Database, requests: InsertRequest[]): Promise<CheckedInsert[]> {
  const column = <T>(f: (r: InsertRequest) => T) => requests.map(f);
  const rows = await db.$client<
    {
      cv_kind: string | null;
      project_kind: string | null;
      job_id: string | null;
      upload_chars: string;
    }[]
  >`
    with req as (
      select r.*, row_number() over (partition by r.client_id, r.idempotency_key order by r.n) = 1 as first
      from unnest(${column((r) => r.job.clientId)}::uuid[], ${column((r) => r.job.idempotencyKey)}::text[],
                  ${column((r) => r.job.requestFingerprint)}::text[], ${column((r) => r.job.cvId)}::uuid[],
                  ${column((r) => r.job.projectId)}::uuid[], ${column((r) => r.job.jobDescription)}::text[],
                  ${column((r) => r.job.studyCaseBrief)}::text[], ${column((r) => r.job.scoringRubric)}::text[],
                  ${column((r) => String(r.maxUploadChars))}::bigint[], ${column((r) => r.leaseMs)}::int[])
        with ordinality as r(client_id, idempotency_key, request_fingerprint, cv_id, project_id,
                             job_description, study_case_brief, scoring_rubric, max_upload_chars, lease_ms, n)
    ), checked as (
      select req.n,
             (select kind from uploads where client_id = req.client_id and id = req.cv_id) as cv_kind,
             (select kind from uploads where client_id = req.client_id and id = req.project_id) as project_kind,
             (select coalesce(sum(length(extracted_text)), 0) from uploads
               where client_id = req.client_id and id in (req.cv_id, req.project_id)) as upload_chars
      from req
    ), ins as (
      insert into jobs (client_id, idempotency_key, request_fingerprint, cv_id, project_id,
                        job_description, study_case_brief, scoring_rubric, publish_lease_until)
      select r.client_id, r.idempotency_key, r.request_fingerprint, r.cv_id, r.project_id,
             r.job_description, r.study_case_brief, r.scoring_rubric,
             now() + r.lease_ms * interval '1 millisecond'
      from req r join checked c using (n)
      where r.first and c.cv_kind = 'cv' and c.project_kind = 'project' and c.upload_chars <= r.max_upload_chars
      order by r.client_id, r.idempotency_key
      on conflict (client_id, idempotency_key) do nothing
      returning id, client_id, idempotency_key
    )
    select c.cv_kind, c.project_kind, ins.id as job_id, c.upload_chars
    from checked c join req r using (n)
      left join ins on r.first and ins.client_id = r.client_id and ins.idempotency_key = r.idempotency_key
    order by c.n`;
  return rows.map((row) => ({
    cvKind: row.cv_kind,
    projectKind: row.project_kind,
    jobId: row.job_id,
    uploadChars: Number(row.upload_chars),
  }));
}

/** Takes the publish lease of an unpublished job whose lease is free or expired. */
async function takePublishLeaseUntraced(db: Database, jobId: string, leaseMs: number): Promise<boolean> {
  const rows = await db
    .update(jobs)
    .set({ publishLeaseUntil: sql`now() + ${`${leaseMs} milliseconds`}::interval` })
    .where(
      and(
        eq(jobs.id, jobId),
        isNull(jobs.publishedAt),
        or(isNull(jobs.publishLeaseUntil), lt(jobs.publishLeaseUntil, sql`now()`)),
      ),
    )
    .returning({ id: jobs.id });
  return rows.length === 1;
}

async function markPublishedUntraced(db: Database, jobIds: string[]): Promise<void> {
  if (jobIds.length === 0) return;
  await db
    .update(jobs)
    .set({
      publishedAt: sql`coalesce(${jobs.publishedAt}, now())`,
      publishLeaseUntil: null,
      updatedAt: sql`now()`,
    })
    .where(jobsLockedInIdOrder(jobIds));
}

async function releasePublishLeaseUntraced(db: Database, jobId: string): Promise<void> {
  await db
    .update(jobs)
    .set({ publishLeaseUntil: null })
    .where(and(eq(jobs.id, jobId), isNull(jobs.publishedAt)));
}

export function leaseHeld(job: JobRow): boolean {
  return (
    job.publishedAt === null && job.publishLeaseUntil !== null && job.publishLeaseUntil.getTime() > Date.now()
  );
}

async function getClientJobUntraced(db: Database, clientId: string, jobId: string) {
  const [row] = await db
    .select({ job: jobs, result: results })
    .from(jobs)
    .leftJoin(results, eq(results.jobId, jobs.id))
    .where(and(eq(jobs.clientId, clientId), eq(jobs.id, jobId)));
  return row;
}

export interface ListOptions {
  status?: JobStatus;
  positionId?: string;
  limit: number;
  /** created_at and id of the last job of the previous page */
  after?: { createdAt: string; id: string };
}

async function listClientJobsUntraced(db: Database, clientId: string, o: ListOptions) {
  const conditions = [eq(jobs.clientId, clientId)];
  if (o.status) conditions.push(eq(jobs.status, o.status));
  if (o.positionId) conditions.push(eq(jobs.positionId, o.positionId));
  if (o.after) {
    conditions.push(
      sql`(${jobs.createdAt}, ${jobs.id}) < (${o.after.createdAt}::timestamptz, ${o.after.id}::uuid)`,
    );
  }
  return db
    .select({
      id: jobs.id,
      status: jobs.status,
      positionId: jobs.positionId,
      createdAt: jobs.createdAt,
      updatedAt: jobs.updatedAt,
      // microsecond precision for the cursor: a JS Date would lose it and skip rows
      cursorTime: sql<string>`to_char(${jobs.createdAt} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`,
    })
    .from(jobs)
    .where(and(...conditions))
    .orderBy(desc(jobs.createdAt), desc(jobs.id))
    .limit(o.limit);
}

/** Jobs accepted but never published, older than `olderThanMs`, whose lease is free: the sweeper's work. */
async function takeUnpublishedJobsUntraced(
  db: Database,
  olderThanMs: number,
  limit: number,
  leaseMs: number,
) {
  return db.execute<{ id: string }>(sql`
    update jobs set publish_lease_until = now() + ${`${leaseMs} milliseconds`}::interval
    where id in (
      select id from jobs
      where published_at is null
        and created_at < now() - ${`${olderThanMs} milliseconds`}::interval
        and (publish_lease_until is null or publish_lease_until < now())
      order by created_at
      limit ${limit}
      for update skip locked)
    returning id`);
}

export const createOrGetJob = traced('createOrGetJob', createOrGetJobUntraced);

export const insertJobIfUploadsMatch = traced('insertJobIfUploadsMatch', insertJobIfUploadsMatchUntraced);

export const takePublishLease = traced('takePublishLease', takePublishLeaseUntraced);

export const markPublished = traced('markPublished', markPublishedUntraced);

export const releasePublishLease = traced('releasePublishLease', releasePublishLeaseUntraced);

export const getClientJob = traced('getClientJob', getClientJobUntraced);

export const listClientJobs = traced('listClientJobs', listClientJobsUntraced);

export const takeUnpublishedJobs = traced('takeUnpublishedJobs', takeUnpublishedJobsUntraced);

/** Whether this (client, key) already names a job: a retry is not a new job for the daily quota. */
async function jobKeyTakenUntraced(db: Database, clientId: string, idempotencyKey: string): Promise<boolean> {
  const [row] = await db
    .select({ id: jobs.id })
    .from(jobs)
    .where(and(eq(jobs.clientId, clientId), eq(jobs.idempotencyKey, idempotencyKey)));
  return row !== undefined;
}

export const jobKeyTaken = traced('jobKeyTaken', jobKeyTakenUntraced);
