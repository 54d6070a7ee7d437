// Batch evaluations: up to 100 jobs accepted under one Idempotency-Key, all or none. The batch row and
// every job row are inserted in one database transaction; the (client, key) unique index on batches
// decides a replay, exactly like a single job's (G4). Each job also gets a unique key of its own
// (`batch:<batch id>:<index>`, unguessable before the batch exists) so the jobs table stays as it is.
import { and, asc, eq, inArray, isNull, lt, or, sql } from 'drizzle-orm';
import type { Database } from './database.ts';
import { jobsLockedInIdOrder } from './job-locks.ts';
import type { JobRow } from './jobs.ts';
import { evaluationBatches, jobs } from './schema.ts';
import { traced } from './trace.ts';

export type BatchRow = typeof evaluationBatches.$inferSelect;

export interface NewBatch {
  clientId: string;
  idempotencyKey: string;
  requestFingerprint: string;
  positionId: string;
  positionVersion: number;
  candidates: { cvId: string; projectId: string }[];
}

/**
 * Inserts the batch and its jobs (with a publish lease) or returns the batch holding this key;
 * `lookupOnly` only looks (a refused request may still be the replay of an accepted one).
 */
async function createOrGetBatchUntraced(
  db: Database,
  b: NewBatch,
  leaseMs: number,
  options: { lookupOnly?: boolean } = {},
): Promise<{ batch: BatchRow | undefined; jobs: JobRow[]; created: boolean }> {
  return db.transaction(async (tx) => {
    if (options.lookupOnly) {
      const [existing] = await tx
        .select()
        .from(evaluationBatches)
        .where(
          and(
            eq(evaluationBatches.clientId, b.clientId),
            eq(evaluationBatches.idempotencyKey, b.idempotencyKey),
          ),
        );
      if (!existing) return { batch: undefined, jobs: [], created: false };
      const rows = await tx
        .select()
        .from(jobs)
        .where(eq(jobs.batchId, existing.id))
        .orderBy(asc(jobs.batchIndex));
      return { batch: existing, jobs: rows, created: false };
    }
    const [inserted] = await tx
      .insert(evaluationBatches)
      .values({
        clientId: b.clientId,
        idempotencyKey: b.idempotencyKey,
        requestFingerprint: b.requestFingerprint,
        positionId: b.positionId,
        positionVersion: b.positionVersion,
        size: b.candidates.length,
      })
      .onConflictDoNothing({ target: [evaluationBatches.clientId, evaluationBatches.idempotencyKey] })
      .returning();
    if (inserted) {
      const rows = await tx
        .insert(jobs)
        .values(
          b.candidates.map((c, index) => ({
            clientId: b.clientId,
            idempotencyKey: `batch:${inserted.id}:${index}`,
            requestFingerprint: b.requestFingerprint,
            cvId: c.cvId,
            projectId: c.projectId,
            positionId: b.positionId,
            positionVersion: b.positionVersion,
            batchId: inserted.id,
            batchIndex: index,
            publishLeaseUntil: sql`now() + ${`${leaseMs} milliseconds`}::interval`,
          })),
        )
        .returning();
      rows.sort((x, y) => x.batchIndex! - y.batchIndex!);
      return { batch: inserted, jobs: rows, created: true };
    }
    const [existing] = await tx
      .select()
      .from(evaluationBatches)
      .where(
        and(
          eq(evaluationBatches.clientId, b.clientId),
          eq(evaluationBatches.idempotencyKey, b.idempotencyKey),
        ),
      );
    if (!existing) throw new Error('batch vanished between insert and select');
    const rows = await tx
      .select()
      .from(jobs)
      .where(eq(jobs.batchId, existing.id))
      .orderBy(asc(jobs.batchIndex));
    return { batch: existing, jobs: rows, created: false };
  });
}

/**
 * Takes the publish lease of every unpublished job of the batch, or of none: a replay republishes the
 * whole remainder in one transaction or leaves it to whoever holds it.
 */
async function takeBatchLeaseUntraced(
  db: Database,
  batchId: string,
  leaseMs: number,
): Promise<string[] | null> {
  return db.transaction(async (tx) => {
    const unpublished = await tx
      .select({
        id: jobs.id,
        free: sql<boolean>`(${jobs.publishLeaseUntil} is null or ${jobs.publishLeaseUntil} < now())`,
      })
      .from(jobs)
      .where(and(eq(jobs.batchId, batchId), isNull(jobs.publishedAt)))
      .orderBy(jobs.id) // lib/db/job-locks.ts: several jobs are locked in id order
      .for('update');
    if (unpublished.some((j) => !j.free)) return null;
    const ids = unpublished.map((j) => j.id);
    if (ids.length === 0) return [];
    await tx
      .update(jobs)
      .set({ publishLeaseUntil: sql`now() + ${`${leaseMs} milliseconds`}::interval` })
      .where(
        and(
          inArray(jobs.id, ids),
          isNull(jobs.publishedAt),
          or(isNull(jobs.publishLeaseUntil), lt(jobs.publishLeaseUntil, sql`now()`)),
        ),
      );
    return ids;
  });
}

async function releaseBatchLeaseUntraced(db: Database, jobIds: string[]): Promise<void> {
  if (jobIds.length === 0) return;
  await db
    .update(jobs)
    .set({ publishLeaseUntil: null })
    .where(and(jobsLockedInIdOrder(jobIds), isNull(jobs.publishedAt)));
}

export const createOrGetBatch = traced('createOrGetBatch', createOrGetBatchUntraced);
export const takeBatchLease = traced('takeBatchLease', takeBatchLeaseUntraced);
export const releaseBatchLease = traced('releaseBatchLease', releaseBatchLeaseUntraced);
