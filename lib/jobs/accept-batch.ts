// Accepting a batch of evaluations for a position (up to 100 candidates under one Idempotency-Key):
// all or none. Every candidate is checked before anything is stored; the batch and its jobs are
// inserted in one database transaction; their request records are published in one request-side Kafka
// transaction. A replay with the same key and body returns the same job ids and republishes, again in
// one transaction, whatever a failed first attempt left unpublished (or leaves it to the sweeper).
import { createHash } from 'node:crypto';
import { createOrGetBatch, releaseBatchLease, takeBatchLease } from '../db/batches.ts';
import type { Database } from '../db/database.ts';
import { markPublished } from '../db/jobs.ts';
import { getPosition } from '../db/positions.ts';
import { findClientUploads } from '../db/uploads.ts';
import { type ApiErrorCode, codes } from '../errors.ts';
import type { OutputRecord } from '../kafka/types.ts';
import { jobRequestRecord } from '../records/job-request.ts';
import type { Logger } from '../telemetry/logger.ts';
import { canonicalJson } from '../util/canonical-json.ts';
import { withTimeout } from '../util/timeout.ts';

export const MAX_BATCH = 100;

export interface BatchDeps {
  db: Database;
  publishAll: (records: OutputRecord[]) => Promise<void>;
  jobsTopic: string;
  leaseMs: number;
  publishTimeoutMs: number;
  logger?: Logger;
}

export interface Candidate {
  cv_id: string;
  project_id: string;
}

export type BatchOutcome =
  | {
      ok: true;
      replayed: boolean;
      batchId: string;
      positionVersion: number;
      jobs: { id: string; cv_id: string; project_id: string }[];
    }
  | {
      ok: false;
      code: ApiErrorCode;
      detail: string;
      extra?: Record<string, unknown>;
      retryAfterSeconds?: number;
    };

const refuse = (
  code: ApiErrorCode,
  detail: string,
  extra?: Record<string, unknown>,
  retryAfterSeconds?: number,
): BatchOutcome => ({ ok: false, code, detail, extra, retryAfterSeconds });

export async function acceptBatch(
  d: BatchDeps,
  r: { clientId: string; idempotencyKey: string; positionId: string; candidates: Candidate[] },
): Promise<BatchOutcome> {
  const print = createHash('sha256')
    .update(canonicalJson({ position_id: r.positionId, candidates: r.candidates }))
    .digest('hex');
  const position = await getPosition(d.db, r.clientId, r.positionId);
  if (!position) return refuse(codes.POSITION_NOT_FOUND, `no position ${r.positionId} among yours`);

  // Check every candidate before storing anything: one bad candidate refuses the whole batch.
  const ids = r.candidates.flatMap((c) => [c.cv_id, c.project_id]);
  const found = new Map(
    (await findClientUploads(d.db, r.clientId, [...new Set(ids)])).map((u) => [u.id, u.kind]),
  );
  const errors: { index: number; field: string; code: ApiErrorCode; detail: string }[] = [];
  r.candidates.forEach((c, index) => {
    for (const [field, id, kind] of [
      ['cv_id', c.cv_id, 'cv'],
      ['project_id', c.project_id, 'project'],
    ] as const) {
      const got = found.get(id);
      if (!got)
        errors.push({
          index,
          field,
          code: codes.UPLOAD_NOT_FOUND,
          detail: `${id} is not one of your uploads`,
        });
      else if (got !== kind)
        errors.push({ index, field, code: codes.WRONG_UPLOAD_KIND, detail: `${id} is a ${got} upload` });
    }
  });

  const { batch, jobs, created } = await createOrGetBatch(
    d.db,
    {
      clientId: r.clientId,
      idempotencyKey: r.idempotencyKey,
      requestFingerprint: print,
      positionId: r.positionId,
      positionVersion: position.version,
      candidates: errors.length ? [] : r.candidates.map((c) => ({ cvId: c.cv_id, projectId: c.project_id })),
    },
    d.leaseMs,
    // a refused batch must not be stored: only look up a replay
    { lookupOnly: errors.length > 0 || position.archivedAt !== null },
  );
  if (!batch) {
    if (position.archivedAt)
      return refuse(codes.POSITION_ARCHIVED, 'an archived position takes no new evaluations');
    return refuse(codes.BATCH_REFUSED, `${errors.length} candidate(s) refused; nothing was accepted`, {
      errors,
    });
  }
  if (!created && batch.requestFingerprint !== print) {
    return refuse(
      codes.IDEMPOTENCY_KEY_REUSED,
      'this Idempotency-Key was used with a different request body',
    );
  }
  const view = {
    batchId: batch.id,
    positionVersion: batch.positionVersion,
    jobs: jobs.map((j) => ({ id: j.id, cv_id: j.cvId, project_id: j.projectId })),
  };

  let toPublish: string[];
  if (created) {
    toPublish = jobs.map((j) => j.id);
  } else {
    const leased = await takeBatchLease(d.db, batch.id, d.leaseMs);
    if (leased === null) {
      return refuse(
        codes.IDEMPOTENCY_KEY_IN_FLIGHT,
        'a request with this Idempotency-Key is still being processed',
        undefined,
        1,
      );
    }
    toPublish = leased;
  }
  if (toPublish.length > 0) {
    try {
      await withTimeout(
        d.publishAll(toPublish.map((id) => jobRequestRecord(d.jobsTopic, id))),
        d.publishTimeoutMs,
        () => new Error(`publish took longer than ${d.publishTimeoutMs} ms`),
      );
    } catch (err) {
      // The rows stay: a retry with the same key, or the evaluator's sweeper, publishes them later.
      d.logger?.warn({ err, batch_id: batch.id, jobs: toPublish.length }, 'batch publish failed');
      await releaseBatchLease(d.db, toPublish).catch(() => {});
      return refuse(
        codes.QUEUE_UNAVAILABLE,
        'the job queue is unavailable; retry with the same Idempotency-Key',
        { batch_id: batch.id },
        5,
      );
    }
    await markPublished(d.db, toPublish);
  }
  return { ok: true, replayed: !created, ...view };
}
