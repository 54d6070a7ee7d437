// POST /v1/evaluate: accept a job once per Idempotency-Key and publish its request record. The answer
// is 202 only after the record is on the jobs topic; a retry with the same key replays that answer.
import { createHash } from 'node:crypto';
import { createRoute } from '@hono/zod-openapi';
import {
  createOrGetJob,
  jobKeyTaken,
  leaseHeld,
  markPublished,
  releasePublishLease,
  takePublishLease,
} from '../../db/jobs.ts';
import { findClientUploads } from '../../db/uploads.ts';
import { codes } from '../../errors.ts';
import { jobRequestRecord } from '../../jobs/records.ts';
import { abuseLimits } from '../../limits/abuse.ts';
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
    ...problems(400, 401, 404, 409, 413, 415, 422, 429, 503),
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
  const limits = abuseLimits(deps.db, deps.limits!);
  app.use('/v1/evaluate', async (c, next) => {
    const headers = await limits.rate(c.get('clientId'), 'evaluate');
    await next();
    for (const [k, v] of Object.entries(headers)) c.header(k, v);
  });
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

    const found = await findClientUploads(deps.db, clientId, [body.cv_id, body.project_id]);
    for (const [field, id, kind] of [
      ['cv_id', body.cv_id, 'cv'],
      ['project_id', body.project_id, 'project'],
    ] as const) {
      const upload = found.find((u) => u.id === id);
      if (!upload) throw new Problem(codes.UPLOAD_NOT_FOUND, `${field} ${id} is not one of your uploads`);
      if (upload.kind !== kind)
        throw new Problem(codes.WRONG_UPLOAD_KIND, `${field} refers to a ${upload.kind} upload`);
    }
    // What this job would send to the LLM: both documents and every override.
    limits.inputBudget(
      found.reduce((n, u) => n + Number(u.chars), 0) +
        (body.job_description?.length ?? 0) +
        (body.study_case_brief?.length ?? 0) +
        (body.scoring_rubric?.length ?? 0),
    );
    // A new job counts against the daily quota; a retry of an accepted one does not.
    if (!(await jobKeyTaken(deps.db, clientId, key))) await limits.job(clientId);

    const { job, created } = await createOrGetJob(
      deps.db,
      {
        clientId,
        idempotencyKey: key,
        requestFingerprint: print,
        cvId: body.cv_id,
        projectId: body.project_id,
        jobDescription: body.job_description ?? null,
        studyCaseBrief: body.study_case_brief ?? null,
        scoringRubric: body.scoring_rubric ?? null,
      },
      leaseMs,
    );
    const accepted = { id: job.id, status: 'queued' as const };
    if (!created) {
      if (job.requestFingerprint !== print) {
        throw new Problem(
          codes.IDEMPOTENCY_KEY_REUSED,
          'this Idempotency-Key was used with a different request body',
        );
      }
      if (job.publishedAt) {
        c.header('idempotent-replayed', 'true');
        return c.json(accepted, 202);
      }
      if (leaseHeld(job) || !(await takePublishLease(deps.db, job.id, leaseMs))) {
        throw new Problem(
          codes.IDEMPOTENCY_KEY_IN_FLIGHT,
          'a request with this Idempotency-Key is still being processed',
          { headers: { 'retry-after': '1' } },
        );
      }
    }
    try {
      await withTimeout(
        deps.publish(jobRequestRecord(deps.jobsTopic, job.id)),
        publishTimeoutMs,
        () => new Error(`publish took longer than ${publishTimeoutMs} ms`),
      );
    } catch (err) {
      // The job row stays; a retry with the same key, or the evaluator's sweeper, publishes it later.
      c.get('log').warn({ err: String(err), job_id: job.id }, 'publish failed');
      await releasePublishLease(deps.db, job.id).catch(() => {});
      throw new Problem(
        codes.QUEUE_UNAVAILABLE,
        'the job queue is unavailable; retry with the same Idempotency-Key',
        { headers: { 'retry-after': '5' }, extra: { id: job.id } },
      );
    }
    await markPublishedSoon(job.id);
    return c.json(accepted, 202);
  });
  return app;
}
