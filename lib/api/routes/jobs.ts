// GET /v1/jobs: the caller's jobs, newest first, in pages joined by an opaque keyset cursor.
import { createRoute } from '@hono/zod-openapi';
import { listClientJobs } from '../../db/jobs.ts';
import type { ApiDeps } from '../context.ts';
import { router } from '../context.ts';
import { decodeTimeIdCursor, keysetPage } from '../route-kit.ts';
import { JobsPage, JobsQuery, problems, security } from '../schemas.ts';

const jobsRoute = createRoute({
  method: 'get',
  path: '/v1/jobs',
  security,
  request: { query: JobsQuery },
  responses: {
    200: {
      description: "the caller's jobs, newest first",
      content: { 'application/json': { schema: JobsPage } },
    },
    ...problems(400, 401),
  },
});

export function jobRoutes(deps: Pick<ApiDeps, 'db'>) {
  const app = router();
  app.openapi(jobsRoute, async (c) => {
    const q = c.req.valid('query');
    const rows = await listClientJobs(deps.db, c.get('clientId'), {
      status: q.status,
      positionId: q.position_id,
      limit: q.limit + 1,
      after: decodeTimeIdCursor(q.cursor),
    });
    const { page, next } = keysetPage(rows, q.limit, (r) => r);
    return c.json(
      {
        items: page.map((r) => ({
          id: r.id,
          status: r.status,
          position_id: r.positionId,
          created_at: r.createdAt.toISOString(),
          updated_at: r.updatedAt.toISOString(),
        })),
        next_cursor: next,
      },
      200,
    );
  });
  return app;
}
