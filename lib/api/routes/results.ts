// GET /v1/result/{id}: a job's state and, once done, its result — built from the stored row, so it is
// the same content the result topic carries (G3). ETags let pollers skip unchanged answers.
import { createRoute, z } from '@hono/zod-openapi';
import { etag } from 'hono/etag';
import { logResultRead } from '../../db/erasure.ts';
import { getClientJob } from '../../db/jobs.ts';
import { codes } from '../../errors.ts';
import { HUMAN_REVIEW_NOTICE, resultEvent } from '../../records/result-event.ts';
import type { ApiDeps } from '../context.ts';
import { router } from '../context.ts';
import { Problem } from '../middleware/problem.ts';
import { isUuid } from '../route-kit.ts';
import { problems, ResultSchema, security } from '../schemas.ts';

const resultRoute = createRoute({
  method: 'get',
  path: '/v1/result/{id}',
  security,
  request: { params: z.object({ id: z.string() }) },
  responses: {
    200: {
      description: 'the job and, when done, its result',
      content: { 'application/json': { schema: ResultSchema } },
    },
    304: { description: 'not modified' },
    ...problems(401, 404),
  },
});

export function resultRoutes(deps: Pick<ApiDeps, 'db'>) {
  // The access log: who (client and key) read which job's result, when, in which request.
  const app = router();
  app.use('/v1/result/*', etag());
  app.openapi(resultRoute, async (c) => {
    const { id } = c.req.valid('param');
    const row = isUuid(id) ? await getClientJob(deps.db, c.get('clientId'), id) : undefined;
    if (!row) throw new Problem(codes.JOB_NOT_FOUND, `no job ${id} among yours`);
    const { job, result } = row;
    await logResultRead(deps.db, {
      jobId: job.id,
      clientId: c.get('clientId'),
      apiKeyId: c.get('apiKeyId'),
      requestId: c.get('requestId'),
    });
    if (result) {
      const event = resultEvent(result);
      return c.json(
        {
          id: job.id,
          status: event.status,
          notice: HUMAN_REVIEW_NOTICE,
          ...(event.result ? { result: event.result } : {}),
          ...(event.error ? { error: event.error } : {}),
          provenance: event.provenance,
        },
        200,
      );
    }
    if (job.status === 'failed') {
      return c.json(
        {
          id: job.id,
          status: job.status,
          notice: HUMAN_REVIEW_NOTICE,
          error: { code: job.errorCode ?? codes.EVALUATION_FAILED, message: job.errorMessage ?? '' },
        },
        200,
      );
    }
    return c.json({ id: job.id, status: job.status, notice: HUMAN_REVIEW_NOTICE }, 200);
  });
  return app;
}
