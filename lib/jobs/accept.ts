// Accepting a job once per idempotency key (G1), without HTTP. The unique (client, key) index decides
// which request created the job, not a look-up; the publish lease tells a first request still in
// flight from one that failed to publish and may be taken over.
//
//   created     this call holds the publish lease: publish the request record now. `resumed` when an
//               earlier request with this key was accepted but never published (its lease ran out).
//   replayed    the job was accepted and published before: answer as the first time.
//   key-reused  the key belongs to a different request body: refuse.
//   in-flight   another request with this key holds the lease right now: ask the caller to retry.
import { createHash } from 'node:crypto';
import type { Database } from '../db/database.ts';
import { createOrGetJob, type JobRow, leaseHeld, takePublishLease } from '../db/jobs.ts';
import { canonicalJson } from '../util/canonical-json.ts';

/** The request as the client sent it; its canonical form is the fingerprint a key is bound to. */
export interface EvaluateRequest {
  cv_id: string;
  project_id: string;
  job_description?: string;
  study_case_brief?: string;
  scoring_rubric?: string;
}

export type AcceptOutcome =
  | { outcome: 'created'; job: JobRow; resumed: boolean }
  | { outcome: 'replayed'; job: JobRow }
  | { outcome: 'key-reused'; job: JobRow }
  | { outcome: 'in-flight'; job: JobRow };

export function fingerprint(request: EvaluateRequest): string {
  return createHash('sha256').update(canonicalJson(request)).digest('hex');
}

export async function acceptJob(
  db: Database,
  input: { clientId: string; idempotencyKey: string; request: EvaluateRequest },
  o: { leaseMs: number },
): Promise<AcceptOutcome> {
  const { request } = input;
  const print = fingerprint(request);
  const { job, created } = await createOrGetJob(
    db,
    {
      clientId: input.clientId,
      idempotencyKey: input.idempotencyKey,
      requestFingerprint: print,
      cvId: request.cv_id,
      projectId: request.project_id,
      jobDescription: request.job_description ?? null,
      studyCaseBrief: request.study_case_brief ?? null,
      scoringRubric: request.scoring_rubric ?? null,
    },
    o.leaseMs,
  );
  if (created) return { outcome: 'created', job, resumed: false };
  if (job.requestFingerprint !== print) return { outcome: 'key-reused', job };
  if (job.publishedAt) return { outcome: 'replayed', job };
  // The conditional update, not the row read a moment ago, decides who takes an expired lease.
  if (leaseHeld(job) || !(await takePublishLease(db, job.id, o.leaseMs)))
    return { outcome: 'in-flight', job };
  return { outcome: 'created', job, resumed: true };
}
