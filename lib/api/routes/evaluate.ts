// POST /v1/evaluate: accept a job once per Idempotency-Key and publish its request record. The answer
// is 202 only after the record is on the jobs topic; a retry with the same key replays that answer.
import { createHash } from 'node:crypto';
import { createRoute } from '@hono/zod-openapi';
import {
  createOrGetJob,
  insertJobIfUploadsMatch,
  leaseHeld,
  markPublished,
  releasePublishLease,
  takePublishLease,
} from '../../db/jobs.ts';
import { codes } from '../../errors.ts';
import { jobRequestRecord } from '../../jobs/records.ts';
import { canonicalJson } from '../../util/canonical-json.ts';
import { withTimeout } from '../../util/timeout.ts';
import { batched } from '../batcher.ts';
import type { ApiDeps } from '../context.ts';
import { router } from '../context.ts';
import { limitBody, requireMediaType } from '../middleware/body.ts';
import { Problem } from '../middleware/problem.ts';
import { Accepted, EvaluateBody, IdempotencyHeaders, problems, security } from '../schemas.ts';

const evaluateRoute = createRoute({
  method: 'post',
  path: '/v1/evaluate',
  security,
  request: {
    headers: IdempotencyHeaders,
    body: { content: { 'application/json': { schema: EvaluateBody } }, required: true },
  },
  responses: {
    202: {
      description: 'accepted (or the original answer replayed)',
      content: { 'application/json': { schema: Accepted } },
    },
    ...problems(400, 401, 404, 409, 413, 415, 422, 503),
  },
});

export function fingerprint(body: unknown): string {
  return createHash('sha256').update(canonicalJson(body)).digest('hex');
}

export function evaluateRoutes(deps: ApiDeps) {
  const leaseMs = deps.leaseMs ?? 15_000;
  const publishTimeoutMs = deps.publishTimeoutMs ?? 5_000;
  const markPublishedSoon = batched<string>((ids) => markPublished(deps.db, ids));
  const app = router();
  app.use('/v1/evaluate', requireMediaType('application/json'));
  app.use(
    '/v1/evaluate',
    limitBody(4 * 1024 * 1024, codes.PAYLOAD_TOO_LARGE, 'the request body may be at most 4 MiB'),
  );
  app.openapi(evaluateRoute, async (c) => {
    const body = c.req.valid('json');
    const key = c.req.valid('header')['idempotency-key'];
    const clientId = c.get('clientId');
    const print = fingerprint(body);

    const newJob = {
      clientId,
      idempotencyKey: key,
      requestFingerprint: print,
      cvId: body.cv_id,
      projectId: body.project_id,
      jobDescription: body.job_description ?? null,
      studyCaseBrief: body.study_case_brief ?? null,
      scoringRubric: body.scoring_rubric ?? null,
    };
    // One round trip: the upload check and the insert in one statement. Only a reused key costs a second.
    const checked = await insertJobIfUploadsMatch(deps.db, newJob, leaseMs);
    for (const [field, id, kind, found] of [
      ['cv_id', body.cv_id, 'cv', checked.cvKind],
      ['project_id', body.project_id, 'project', checked.projectKind],
    ] as const) {
      if (!found) throw new Problem(codes.UPLOAD_NOT_FOUND, `${field} ${id} is not one of your uploads`);
      if (found !== kind) throw new Problem(codes.WRONG_UPLOAD_KIND, `${field} refers to a ${found} upload`);
    }
    let jobId = checked.jobId;
    if (!jobId) {
      const { job, created } = await createOrGetJob(deps.db, newJob, leaseMs);
      jobId = job.id;
      if (!created) {
        if (job.requestFingerprint !== print) {
          throw new Problem(
            codes.IDEMPOTENCY_KEY_REUSED,
            'this Idempotency-Key was used with a different request body',
          );
        }
        if (job.publishedAt) {
          c.header('idempotent-replayed', 'true');
          return c.json({ id: job.id, status: 'queued' as const }, 202);
        }
        if (leaseHeld(job) || !(await takePublishLease(deps.db, job.id, leaseMs))) {
          throw new Problem(
            codes.IDEMPOTENCY_KEY_IN_FLIGHT,
            'a request with this Idempotency-Key is still being processed',
            { headers: { 'retry-after': '1' } },
          );
        }
      }
    }
    const accepted = { id: jobId, status: 'queued' as const };
    try {
      await withTimeout(
        deps.publish(jobRequestRecord(deps.jobsTopic, jobId)),
        publishTimeoutMs,
        () => new Error(`publish took longer than ${publishTimeoutMs} ms`),
      );
    } catch (err) {
      // The job row stays; a retry with the same key, or the evaluator's sweeper, publishes it later.
      c.get('log').warn({ err: String(err), job_id: jobId }, 'publish failed');
      await releasePublishLease(deps.db, jobId).catch(() => {});
      throw new Problem(
        codes.QUEUE_UNAVAILABLE,
        'the job queue is unavailable; retry with the same Idempotency-Key',
        { headers: { 'retry-after': '5' }, extra: { id: jobId } },
      );
    }
    await markPublishedSoon(jobId);
    return c.json(accepted, 202);
  });
  return app;
}
