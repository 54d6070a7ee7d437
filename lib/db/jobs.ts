// Jobs: idempotent creation (the unique (client, key) index decides, not a look-up), the publish lease
// that tells an in-flight first request from a failed one, reads for the API, and the sweeper's query.
import { and, desc, eq, isNull, lt, or, sql } from 'drizzle-orm';
import type { Database } from './database.ts';
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

/**
 * The evaluate route's hot path in one round trip: checks that the two uploads are the caller's, of
 * the right kinds and within the input budget (`maxUploadChars`), and only then inserts the job with a publish lease (idempotent on (client, key)).
 * A postgres.js tagged template: a prepared statement, parsed and planned once per connection, with no
 * query building per request. On a key conflict the caller reads the existing job (createOrGetJob).
 */
async function insertJobIfUploadsMatchUntraced(
  db: Database,
  job: NewJob,
  leaseMs: number,
  maxUploadChars: number,
): Promise<CheckedInsert> {
  const [row] = await db.$client<
    { cv_kind: string | null; project_kind: string | null; job_id: string | null; upload_chars: string }[]
  >`
    with u as (
      select id, kind, length(extracted_text) as chars
      from uploads where client_id = ${job.clientId} and id in (${job.cvId}, ${job.projectId})
    ), ins as (
      insert into jobs (client_id, idempotency_key, request_fingerprint, cv_id, project_id,
                        job_description, study_case_brief, scoring_rubric, publish_lease_until)
      select ${job.clientId}, ${job.idempotencyKey}, ${job.requestFingerprint}, ${job.cvId}, ${job.projectId},
             ${job.jobDescription}, ${job.studyCaseBrief}, ${job.scoringRubric},
             now() + ${leaseMs}::int * interval '1 millisecond'
      where exists (select 1 from u where id = ${job.cvId} and kind = 'cv')
        and exists (select 1 from u where id = ${job.projectId} and kind = 'project')
        and (select coalesce(sum(chars), 0) from u) <= ${maxUploadChars}::bigint
      on conflict (client_id, idempotency_key) do nothing
      returning id
    )
    select (select kind from u where id = ${job.cvId}) as cv_kind,
           (select kind from u where id = ${job.projectId}) as project_kind,
           (select id from ins) as job_id,
           (select coalesce(sum(chars), 0) from u) as upload_chars`;
  return {
    cvKind: row!.cv_kind,
    projectKind: row!.project_kind,
    jobId: row!.job_id,
    uploadChars: Number(row!.upload_chars),
  };
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
