// POST /v1/evaluate: accept a job once per Idempotency-Key and publish its request record. The answer
// is 202 only after the record is on the jobs topic; a retry with the same key replays that answer.
import { createRoute } from '@hono/zod-openapi';
import { jobKeyTaken } from '../../db/jobs.ts';
import { findClientUploads } from '../../db/uploads.ts';
import { codes } from '../../errors.ts';
import { refuseUnscreenable } from '../../evaluation/offline/index.ts';
import { InvalidRubricError, parseRubric } from '../../evaluation/rubric.ts';
import { acceptJob, type InputBudget, refuseForeignUploads } from '../../jobs/accept.ts';
import { createLeasePublisher } from '../../jobs/publish-lease.ts';
import { abuseLimits } from '../../limits/abuse.ts';
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

export function evaluateRoutes(deps: ApiDeps) {
  const publishLeased = createLeasePublisher({
    ...deps.publishing,
    db: deps.db,
    publish: deps.publish,
    jobsTopic: deps.jobsTopic,
  });
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
    const clientId = c.get('clientId');

    // A rubric override is used, never ignored: one that cannot be parsed is refused here, stored nowhere.
    if (body.scoring_rubric !== undefined) {
      try {
        parseRubric(body.scoring_rubric);
      } catch (err) {
        if (err instanceof InvalidRubricError) throw new Problem(codes.INVALID_RUBRIC, err.message);
        throw err;
      }
    }
    // an override the offline reader cannot screen against would fail the job: refused here, stored nowhere
    if (deps.offlineScreening)
      refuseUnscreenable({ jobDescription: body.job_description, studyCaseBrief: body.study_case_brief });
    const idempotencyKey = c.req.valid('header')['idempotency-key'];
    // What this job would send to the LLM besides its documents: every override.
    const budget = {
      maxChars: deps.limits!.jobInputMaxChars,
      extraChars:
        (body.job_description?.length ?? 0) +
        (body.study_case_brief?.length ?? 0) +
        (body.scoring_rubric?.length ?? 0),
      refuse: (chars: number) => limits.refuseInput(chars),
    };
    if (deps.limits!.jobsPerDay > 0) {
      // A new job counts against the daily quota, a retry of an accepted one does not, and a request
      // refused for its uploads or size counts not at all: those are checked first, one statement each.
      await checkUploads(deps.db, clientId, body, budget);
      if (!(await jobKeyTaken(deps.db, clientId, idempotencyKey))) await limits.job(clientId);
    }
    // Without a quota the uploads, the budget and the insert are one statement (acceptJob).
    const accepted = await acceptJob(
      deps.db,
      { clientId, idempotencyKey, request: body },
      { ...deps.publishing, budget },
    );
    const answer = { id: accepted.job.id, status: 'queued' as const };
    switch (accepted.outcome) {
      case 'key-reused':
        throw new Problem(
          codes.IDEMPOTENCY_KEY_REUSED,
          'this Idempotency-Key was used with a different request body',
        );
      case 'in-flight':
        throw new Problem(
          codes.IDEMPOTENCY_KEY_IN_FLIGHT,
          'a request with this Idempotency-Key is still being processed',
          { headers: { 'retry-after': '1' } },
        );
      case 'replayed':
        c.header('idempotent-replayed', 'true');
        return c.json(answer, 202);
      case 'created':
        try {
          await publishLeased(accepted.job.id);
        } catch (err) {
          // logged with the other refusals of an outage, one line per few seconds (problem.ts), not per request
          throw new Problem(
            codes.QUEUE_UNAVAILABLE,
            'the job queue is unavailable; retry with the same Idempotency-Key',
            { headers: { 'retry-after': '5' }, extra: { id: accepted.job.id }, cause: err },
          );
        }
        return c.json(answer, 202);
    }
  });
  return app;
}

async function checkUploads(
  db: ApiDeps['db'],
  clientId: string,
  body: { cv_id: string; project_id: string },
  budget: InputBudget,
): Promise<void> {
  const found = await findClientUploads(db, clientId, [body.cv_id, body.project_id]);
  const kindOf = (id: string) => found.find((u) => u.id === id)?.kind ?? null;
  refuseForeignUploads(body, { cvKind: kindOf(body.cv_id), projectKind: kindOf(body.project_id) });
  const chars = found.reduce((n, u) => n + Number(u.chars), 0) + budget.extraChars;
  if (chars > budget.maxChars) budget.refuse(chars);
}
