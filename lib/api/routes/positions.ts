// Positions: POST/GET /v1/positions and GET/PATCH/DELETE /v1/positions/{id}, versioned (every edit is
// a new version; If-Match guards against lost updates). A client sees only its own positions: another
// client's id is "not found". Batches and rankings of a position: position-evaluations.ts.
import { createRoute, z } from '@hono/zod-openapi';
import {
  archivePosition,
  createPosition,
  editPosition,
  getPosition,
  listPositions,
  listPositionVersions,
  type PositionView,
} from '../../db/positions.ts';
import { codes } from '../../errors.ts';
import { defaultDocuments } from '../../evaluation/documents/index.ts';
import { refuseUnscreenable } from '../../evaluation/offline/index.ts';
import type { ApiDeps } from '../context.ts';
import { router } from '../context.ts';
import { limitBody, requireMediaType } from '../middleware/body.ts';
import { Problem } from '../middleware/problem.ts';
import { decodeTimeIdCursor, isUuid, json, keysetPage } from '../route-kit.ts';
import {
  IdParam,
  Position,
  PositionCreate,
  PositionPatch,
  PositionsPage,
  PositionsQuery,
  problems,
  security,
} from '../schemas.ts';

const createPositionRoute = createRoute({
  method: 'post',
  path: '/v1/positions',
  security,
  request: { body: { content: { 'application/json': { schema: PositionCreate } }, required: true } },
  responses: { 201: json(Position, 'created (version 1)'), ...problems(400, 401, 413, 415, 422) },
});
const listPositionsRoute = createRoute({
  method: 'get',
  path: '/v1/positions',
  security,
  request: { query: PositionsQuery },
  responses: { 200: json(PositionsPage, 'your positions, newest first'), ...problems(400, 401) },
});
const getPositionRoute = createRoute({
  method: 'get',
  path: '/v1/positions/{id}',
  security,
  request: { params: IdParam, query: z.object({ version: z.coerce.number().int().min(1).optional() }) },
  responses: {
    200: json(Position, 'the position (its current version, or ?version=N) and its version history'),
    ...problems(401, 404),
  },
});
const patchPositionRoute = createRoute({
  method: 'patch',
  path: '/v1/positions/{id}',
  security,
  request: {
    params: IdParam,
    headers: z.object({
      'if-match': z
        .string()
        .optional()
        .openapi({ description: 'the ETag of the version the edit is based on' }),
    }),
    body: { content: { 'application/json': { schema: PositionPatch } }, required: true },
  },
  responses: {
    200: json(Position, 'edited: a new version (or the same one when nothing changed)'),
    ...problems(400, 401, 404, 409, 412, 413, 415, 422),
  },
});
const deletePositionRoute = createRoute({
  method: 'delete',
  path: '/v1/positions/{id}',
  security,
  request: { params: IdParam },
  responses: {
    204: { description: 'archived; its versions and evaluations are kept' },
    ...problems(401, 404),
  },
});
const view = (p: PositionView) => ({
  id: p.id,
  version: p.version,
  title: p.title,
  job_description: p.jobDescription,
  study_case_brief: p.studyCaseBrief,
  scoring_rubric: p.scoringRubric,
  archived: p.archivedAt !== null,
  created_at: p.createdAt.toISOString(),
  updated_at: p.updatedAt.toISOString(),
});

export const positionNotFound = (id: string) =>
  new Problem(codes.POSITION_NOT_FOUND, `no position ${id} among yours`);

const etagOf = (p: { id: string; version: number }) => `"${p.id}.v${p.version}"`;

export function positionRoutes(deps: ApiDeps) {
  const app = router();
  const notFound = positionNotFound;
  for (const path of ['/v1/positions', '/v1/positions/:id']) {
    app.on(['POST', 'PATCH'], path, requireMediaType('application/json'));
    app.on(
      ['POST', 'PATCH'],
      path,
      limitBody(2 * 1024 * 1024, codes.PAYLOAD_TOO_LARGE, 'the request body may be at most 2 MiB'),
    );
  }

  const screenable = (texts: { jobDescription?: string; studyCaseBrief?: string }) => {
    if (deps.offlineScreening) refuseUnscreenable(texts);
  };

  app.openapi(createPositionRoute, async (c) => {
    const b = c.req.valid('json');
    screenable({ jobDescription: b.job_description, studyCaseBrief: b.study_case_brief });
    const p = await createPosition(deps.db, c.get('clientId'), {
      title: b.title,
      jobDescription: b.job_description ?? defaultDocuments.jobDescription,
      studyCaseBrief: b.study_case_brief ?? defaultDocuments.studyCaseBrief,
      scoringRubric: b.scoring_rubric ?? defaultDocuments.scoringRubric,
    });
    c.header('location', `/v1/positions/${p.id}`);
    c.header('etag', etagOf(p));
    return c.json(view(p), 201);
  });

  app.openapi(listPositionsRoute, async (c) => {
    const q = c.req.valid('query');
    const rows = await listPositions(deps.db, c.get('clientId'), {
      limit: q.limit + 1,
      includeArchived: q.include_archived === 'true',
      after: decodeTimeIdCursor(q.cursor),
    });
    const { page, next } = keysetPage(rows, q.limit, (r) => r);
    return c.json(
      {
        items: page.map(view),
        next_cursor: next,
      },
      200,
    );
  });

  app.openapi(getPositionRoute, async (c) => {
    const { id } = c.req.valid('param');
    const { version } = c.req.valid('query');
    const p = isUuid(id) ? await getPosition(deps.db, c.get('clientId'), id, version) : undefined;
    if (!p) throw notFound(id);
    const versions = await listPositionVersions(deps.db, c.get('clientId'), id);
    c.header('etag', etagOf(p));
    return c.json(
      {
        ...view(p),
        versions: versions.map((v) => ({
          version: v.version,
          title: v.title,
          created_at: v.createdAt.toISOString(),
        })),
      },
      200,
    );
  });

  app.openapi(patchPositionRoute, async (c) => {
    const { id } = c.req.valid('param');
    if (!isUuid(id)) throw notFound(id);
    const b = c.req.valid('json');
    const ifMatch = c.req.valid('header')['if-match'];
    let ifVersion: number | undefined;
    if (ifMatch !== undefined) {
      const m = /^(?:W\/)?"([0-9a-f-]{36})\.v(\d+)"$/.exec(ifMatch.trim());
      if (!m || m[1] !== id) {
        throw new Problem(codes.POSITION_VERSION_MISMATCH, 'If-Match is not an ETag of this position');
      }
      ifVersion = Number(m[2]);
    }
    screenable({ jobDescription: b.job_description, studyCaseBrief: b.study_case_brief });
    const out = await editPosition(
      deps.db,
      c.get('clientId'),
      id,
      {
        title: b.title,
        jobDescription: b.job_description,
        studyCaseBrief: b.study_case_brief,
        scoringRubric: b.scoring_rubric,
      },
      ifVersion,
    );
    if (out.kind === 'not-found') throw notFound(id);
    if (out.kind === 'archived')
      throw new Problem(codes.POSITION_ARCHIVED, 'an archived position cannot be edited');
    if (out.kind === 'stale') {
      throw new Problem(codes.POSITION_VERSION_MISMATCH, `the position is at version ${out.current} now`, {
        extra: { current_version: out.current },
      });
    }
    c.header('etag', etagOf(out.position));
    return c.json(view(out.position), 200);
  });

  app.openapi(deletePositionRoute, async (c) => {
    const { id } = c.req.valid('param');
    if (!isUuid(id) || !(await archivePosition(deps.db, c.get('clientId'), id))) throw notFound(id);
    return c.body(null, 204);
  });

  return app;
}
