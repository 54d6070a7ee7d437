// DELETE /v1/uploads/{id} and DELETE /v1/jobs/{id}: erasure of personal data on request. The rows,
// the extracted text and the result go at once; each erased job's key gets a tombstone on the results
// topic; a job still queued or being evaluated is cancelled (lib/db/erasure.ts explains how).
import { createRoute, z } from '@hono/zod-openapi';
import { codes } from '../../errors.ts';
import { eraseClientJob, eraseClientUpload } from '../../jobs/erasure.ts';
import type { ApiDeps } from '../context.ts';
import { router } from '../context.ts';
import { Problem } from '../middleware/problem.ts';
import { isUuid } from '../route-kit.ts';
import { problems, security } from '../schemas.ts';

const Erased = z
  .object({ id: z.uuid(), erased_jobs: z.array(z.uuid()) })
  .openapi('Erased', { description: 'what was erased; the jobs lost their rows, texts and results' });

const deleteUploadRoute = createRoute({
  method: 'delete',
  path: '/v1/uploads/{id}',
  security,
  request: { params: z.object({ id: z.string() }) },
  responses: {
    200: {
      description: 'the upload, its text and every job that used it (with results) are erased',
      content: { 'application/json': { schema: Erased } },
    },
    ...problems(401, 404),
  },
});

const deleteJobRoute = createRoute({
  method: 'delete',
  path: '/v1/jobs/{id}',
  security,
  request: { params: z.object({ id: z.string() }) },
  responses: {
    200: {
      description: 'the job, its result, and its uploads unless another job still uses them, are erased',
      content: { 'application/json': { schema: Erased } },
    },
    ...problems(401, 404),
  },
});

export function erasureRoutes(deps: Pick<ApiDeps, 'db' | 'publish' | 'resultsTopic' | 'logger'>) {
  const app = router();
  const erasure = {
    db: deps.db,
    publish: deps.publish,
    resultsTopic: deps.resultsTopic,
    logger: deps.logger,
  };
  app.openapi(deleteUploadRoute, async (c) => {
    const { id } = c.req.valid('param');
    const erased = isUuid(id) ? await eraseClientUpload(erasure, c.get('clientId'), id) : undefined;
    if (!erased) throw new Problem(codes.UPLOAD_NOT_FOUND, `no upload ${id} among yours`);
    return c.json({ id, erased_jobs: erased.jobIds }, 200);
  });

  app.openapi(deleteJobRoute, async (c) => {
    const { id } = c.req.valid('param');
    const erased = isUuid(id) ? await eraseClientJob(erasure, c.get('clientId'), id) : undefined;
    if (!erased) throw new Problem(codes.JOB_NOT_FOUND, `no job ${id} among yours`);
    return c.json({ id, erased_jobs: erased.jobIds }, 200);
  });
  return app;
}
