// GET /v1/jobs: the caller's jobs, newest first, in pages joined by an opaque keyset cursor.
import { createRoute, z } from '@hono/zod-openapi';
import { listClientJobs } from '../../db/jobs.ts';
import { codes } from '../../errors.ts';
import type { ApiDeps } from '../context.ts';
import { router } from '../context.ts';
import { Problem } from '../middleware/problem.ts';
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

interface Cursor {
  createdAt: string;
  id: string;
}

function decodeCursor(cursor: string): Cursor {
  try {
    const decoded = JSON.parse(Buffer.from(cursor, 'base64url').toString()) as { t: string; id: string };
    if (typeof decoded.t !== 'string' || Number.isNaN(Date.parse(decoded.t))) throw new Error('bad time');
    return { createdAt: decoded.t, id: z.uuid().parse(decoded.id) };
  } catch {
    throw new Problem(codes.INVALID_CURSOR, 'the cursor is not one this API returned');
  }
}

const encodeCursor = (c: Cursor) =>
  Buffer.from(JSON.stringify({ t: c.createdAt, id: c.id })).toString('base64url');

export function jobRoutes(deps: Pick<ApiDeps, 'db'>) {
  const app = router();
  app.openapi(jobsRoute, async (c) => {
    const q = c.req.valid('query');
    const rows = await listClientJobs(deps.db, c.get('clientId'), {
      status: q.status,
      positionId: q.position_id,
      limit: q.limit + 1,
      after: q.cursor ? decodeCursor(q.cursor) : undefined,
    });
    const page = rows.slice(0, q.limit);
    const last = page[page.length - 1];
    return c.json(
      {
        items: page.map((r) => ({
          id: r.id,
          status: r.status,
          position_id: r.positionId,
          created_at: r.createdAt.toISOString(),
          updated_at: r.updatedAt.toISOString(),
        })),
        next_cursor:
          rows.length > q.limit && last ? encodeCursor({ createdAt: last.cursorTime, id: last.id }) : null,
      },
      200,
    );
  });
  return app;
}
