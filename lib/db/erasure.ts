// Erasure of personal data: uploads (their extracted text), jobs (their overrides) and results (their
// feedback quotes the documents). Each erased job leaves only a marker in erased_jobs (ids and a time,
// nothing of the document) so that a request record still in Kafka is skipped, never evaluated again.
//
// Locking: erasure locks the job rows FOR UPDATE; recordOutcomes (lib/db/effects.ts) stores outcomes
// only for jobs it can lock FOR NO KEY UPDATE, which FOR UPDATE excludes. So either the outcome is
// stored first and erased here, or the job is gone first and the outcome is dropped: an erased job's
// result is never resurrected.
import { and, eq, inArray, lt, or, sql } from 'drizzle-orm';
import type { Database } from './database.ts';
import { idIn } from './id-list.ts';
import { erasedJobs, jobs, resultReads, results, uploads, webhookDeliveries } from './schema.ts';
import { traced } from './trace.ts';

type Tx = Parameters<Parameters<Database['transaction']>[0]>[0];
export type ErasureReason = 'request' | 'retention';

export interface Erased {
  jobIds: string[];
  /** the uploads deleted (an upload another remaining job still uses is kept) */
  uploadIds: string[];
}

/** Erases the jobs and, with `uploads`, the given uploads that no remaining job uses. */
async function eraseInTx(
  tx: Tx,
  jobRows: { id: string; clientId: string }[],
  uploadIds: string[],
  reason: ErasureReason,
): Promise<Erased> {
  const jobIds = jobRows.map((j) => j.id);
  if (jobIds.length) {
    // a webhook delivery carries the result it announces (scores, feedback): it goes with the job
    await tx.delete(webhookDeliveries).where(inArray(webhookDeliveries.jobId, jobIds));
    await tx.delete(results).where(inArray(results.jobId, jobIds));
    await tx.delete(jobs).where(inArray(jobs.id, jobIds));
    await tx
      .insert(erasedJobs)
      .values(jobRows.map((j) => ({ jobId: j.id, clientId: j.clientId, reason })))
      .onConflictDoNothing();
  }
  if (uploadIds.length === 0) return { jobIds, uploadIds: [] };
  // Only uploads no remaining job refers to (a CV may serve several jobs).
  const gone = await tx.execute<{ id: string }>(sql`
    delete from uploads u where u.id in (${sql.join(
      [...new Set(uploadIds)].map((id) => sql`${id}::uuid`),
      sql`, `,
    )})
      and not exists (select 1 from jobs j where j.cv_id = u.id or j.project_id = u.id)
    returning u.id`);
  return { jobIds, uploadIds: gone.map((r) => r.id) };
}

async function lockJobs(tx: Tx, where: ReturnType<typeof and>, limit = 100_000) {
  return tx
    .select({ id: jobs.id, clientId: jobs.clientId, cvId: jobs.cvId, projectId: jobs.projectId })
    .from(jobs)
    .where(where)
    .orderBy(jobs.id) // lib/db/job-locks.ts: several jobs are locked in id order
    .limit(limit)
    .for('update');
}

/**
 * DELETE /v1/jobs/{id}: the job, its result, and its uploads unless another job still uses them.
 * Returns undefined when the client has no such job.
 */
async function eraseJobUntraced(db: Database, clientId: string, jobId: string): Promise<Erased | undefined> {
  return db.transaction(async (tx) => {
    const rows = await lockJobs(tx, and(eq(jobs.clientId, clientId), eq(jobs.id, jobId)));
    if (rows.length === 0) return undefined;
    return eraseInTx(
      tx,
      rows,
      rows.flatMap((r) => [r.cvId, r.projectId]),
      'request',
    );
  });
}

/**
 * DELETE /v1/uploads/{id} (one id) and the console's "erase this candidate" (the CV and the project
 * report together, in one transaction): the client's uploads among `uploadIds` and every job (with its
 * result) that used one of them. Returns undefined when the client has none of them.
 */
async function eraseUploadsUntraced(
  db: Database,
  clientId: string,
  uploadIds: string[],
): Promise<Erased | undefined> {
  if (uploadIds.length === 0) return undefined;
  return db.transaction(async (tx) => {
    const found = await tx
      .select({ id: uploads.id })
      .from(uploads)
      .where(and(eq(uploads.clientId, clientId), inArray(uploads.id, uploadIds)))
      .for('update');
    if (found.length === 0) return undefined;
    const ids = found.map((u) => u.id);
    const rows = await lockJobs(tx, or(inArray(jobs.cvId, ids), inArray(jobs.projectId, ids)));
    return eraseInTx(tx, rows, [...ids, ...rows.flatMap((r) => [r.cvId, r.projectId])], 'request');
  });
}

/**
 * Retention: every upload created before `cutoff`, every job using one, and every job created before
 * `cutoff`, in batches of `limit` uploads/jobs. Returns the job ids erased.
 */
async function eraseExpiredUntraced(
  db: Database,
  cutoff: Date,
  limit: number,
): Promise<{ jobIds: string[]; uploads: number }> {
  return db.transaction(async (tx) => {
    const old = await tx
      .select({ id: uploads.id })
      .from(uploads)
      .where(lt(uploads.createdAt, cutoff))
      .limit(limit)
      .for('update', { skipLocked: true });
    const oldIds = old.map((u) => u.id);
    const rows = await lockJobs(
      tx,
      or(
        lt(jobs.createdAt, cutoff),
        ...(oldIds.length ? [inArray(jobs.cvId, oldIds), inArray(jobs.projectId, oldIds)] : []),
      ),
      10 * limit,
    );
    // An old upload still used by a job not erased in this batch stays until a later batch.
    const { jobIds } = await eraseInTx(
      tx,
      rows,
      [...oldIds, ...rows.flatMap((r) => [r.cvId, r.projectId])],
      'retention',
    );
    await tx.delete(resultReads).where(lt(resultReads.readAt, cutoff));
    return { jobIds, uploads: oldIds.length };
  });
}

/** The ids among `ids` of jobs that were erased (the evaluator skips their request records). */
async function erasedAmongUntraced(db: Database, ids: string[]): Promise<Set<string>> {
  if (ids.length === 0) return new Set();
  const rows = await db
    .select({ id: erasedJobs.jobId })
    .from(erasedJobs)
    .where(inArray(erasedJobs.jobId, ids));
  return new Set(rows.map((r) => r.id));
}

/** Jobs whose tombstone is due at `now` (lib/jobs/retention.ts), the longest due first. */
async function tombstonesDueUntraced(db: Database, now: Date, limit: number): Promise<string[]> {
  const rows = await db
    .select({ id: erasedJobs.jobId })
    .from(erasedJobs)
    .where(sql`${erasedJobs.tombstoneDueAt} <= ${now.toISOString()}::timestamptz`)
    .orderBy(erasedJobs.tombstoneDueAt)
    .limit(limit);
  return rows.map((r) => r.id);
}

/**
 * Records that a publish of these jobs' tombstones, begun at `publishedFrom`, committed: the next is
 * due an hour after the erasure, when a result committed to Kafka in the moment of the erasure has
 * committed or been aborted; none once a publish began after that. A late mark of an earlier publish
 * leaves a job that is owed none as it is.
 */
async function markTombstonesUntraced(db: Database, jobIds: string[], publishedFrom: Date): Promise<void> {
  if (jobIds.length === 0) return;
  // rows locked in id order (lib/db/job-locks.ts): an erasure's mark and a sweep's may overlap
  await db.execute(sql`
    update ${erasedJobs} set tombstone_due_at = case
      when tombstone_due_at is null
        or ${publishedFrom.toISOString()}::timestamptz >= erased_at + interval '1 hour' then null
      else erased_at + interval '1 hour' end
    where ${erasedJobs.jobId} in (
      select job_id from ${erasedJobs} where ${idIn(erasedJobs.jobId, jobIds)}
      order by job_id for no key update)`);
}

/** The access log: one row per read of a job's result. */
async function logResultReadUntraced(
  db: Database,
  read: { jobId: string; clientId: string; apiKeyId?: string; requestId?: string },
): Promise<void> {
  await db.insert(resultReads).values(read);
}

export const eraseJob = traced('eraseJob', eraseJobUntraced);
export const eraseUploads = traced('eraseUploads', eraseUploadsUntraced);
export const eraseExpired = traced('eraseExpired', eraseExpiredUntraced);
export const erasedAmong = traced('erasedAmong', erasedAmongUntraced);
export const tombstonesDue = traced('tombstonesDue', tombstonesDueUntraced);
export const markTombstones = traced('markTombstones', markTombstonesUntraced);
export const logResultRead = traced('logResultRead', logResultReadUntraced);
