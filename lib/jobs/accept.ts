// Accepting a job once per idempotency key (G1), without HTTP. The unique (client, key) index decides
// which request created the job, not a look-up; the publish lease tells a first request still in
// flight from one that failed to publish and may be taken over.
//
//   created     this call holds the publish lease: publish the request record now. `resumed` when an
//               earlier request with this key was accepted but never published (its lease ran out).
//   replayed    the job was accepted and published before: answer as the first time.
//   key-reused  the key belongs to a different request body: refuse.
//   in-flight   another request with this key holds the lease right now: ask the caller to retry.
// The CV and project must be the caller's uploads of those kinds (else UPLOAD_NOT_FOUND or
// WRONG_UPLOAD_KIND is thrown, nothing stored), within the input budget when one is given (else the
// budget's own error). A new key costs one round trip: the checks and the insert are one statement,
// shared with the other requests of the same tick (lib/db/jobs.ts).
import { createHash } from 'node:crypto';
import type { Database } from '../db/database.ts';
import {
  type CheckedInsert,
  createOrGetJob,
  insertJobIfUploadsMatch,
  type JobRow,
  leaseHeld,
  takePublishLease,
} from '../db/jobs.ts';
import { AppError, codes } from '../errors.ts';
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
  | { outcome: 'created'; job: Pick<JobRow, 'id'>; resumed: boolean }
  | { outcome: 'replayed'; job: JobRow }
  | { outcome: 'key-reused'; job: JobRow }
  | { outcome: 'in-flight'; job: JobRow };

export function fingerprint(request: EvaluateRequest): string {
  return createHash('sha256').update(canonicalJson(request)).digest('hex');
}

/**
 * What one job may send to the LLM: its documents' text plus `extraChars` (the overrides) at most
 * `maxChars`; `refuse` throws the caller's error when a job would send `chars`.
 */
export interface InputBudget {
  maxChars: number;
  extraChars: number;
  refuse: (chars: number) => never;
}

export async function acceptJob(
  db: Database,
  input: { clientId: string; idempotencyKey: string; request: EvaluateRequest },
  o: { leaseMs: number; budget?: InputBudget },
): Promise<AcceptOutcome> {
  const { request } = input;
  const print = fingerprint(request);
  const newJob = {
    clientId: input.clientId,
    idempotencyKey: input.idempotencyKey,
    requestFingerprint: print,
    cvId: request.cv_id,
    projectId: request.project_id,
    jobDescription: request.job_description ?? null,
    studyCaseBrief: request.study_case_brief ?? null,
    scoringRubric: request.scoring_rubric ?? null,
  };
  const maxUploadChars = o.budget ? o.budget.maxChars - o.budget.extraChars : Number.MAX_SAFE_INTEGER;
  const checked = await insertJobIfUploadsMatch(db, newJob, o.leaseMs, maxUploadChars);
  refuseForeignUploads(request, checked);
  if (o.budget && checked.uploadChars > maxUploadChars)
    o.budget.refuse(checked.uploadChars + o.budget.extraChars);
  if (checked.jobId) return { outcome: 'created', job: { id: checked.jobId }, resumed: false };
  // The key is taken: read the job that holds it.
  const { job, created } = await createOrGetJob(db, newJob, o.leaseMs);
  if (created) return { outcome: 'created', job, resumed: false };
  if (job.requestFingerprint !== print) return { outcome: 'key-reused', job };
  if (job.publishedAt) return { outcome: 'replayed', job };
  // The conditional update, not the row read a moment ago, decides who takes an expired lease.
  if (leaseHeld(job) || !(await takePublishLease(db, job.id, o.leaseMs)))
    return { outcome: 'in-flight', job };
  return { outcome: 'created', job, resumed: true };
}

/** UPLOAD_NOT_FOUND or WRONG_UPLOAD_KIND unless the CV and project are the caller's, of those kinds. */
export function refuseForeignUploads(
  request: Pick<EvaluateRequest, 'cv_id' | 'project_id'>,
  checked: Pick<CheckedInsert, 'cvKind' | 'projectKind'>,
): void {
  for (const [field, id, kind, found] of [
    ['cv_id', request.cv_id, 'cv', checked.cvKind],
    ['project_id', request.project_id, 'project', checked.projectKind],
  ] as const) {
    if (!found) throw new AppError(codes.UPLOAD_NOT_FOUND, `${field} ${id} is not one of your uploads`);
    if (found !== kind) throw new AppError(codes.WRONG_UPLOAD_KIND, `${field} refers to a ${found} upload`);
  }
}
