// Positions: POST/GET /v1/positions, GET/PATCH/DELETE /v1/positions/{id}, the batch evaluation
// POST /v1/positions/{id}/evaluations, and the ranking GET /v1/positions/{id}/ranking (JSON, or CSV
// with Accept: text/csv). A client sees only its own positions: another client's id is "not found".
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
import { positionRanking } from '../../db/ranking.ts';
import { codes } from '../../errors.ts';
import { defaultDocuments } from '../../evaluation/documents/index.ts';
import { acceptBatch } from '../../jobs/accept-batch.ts';
import { csvHeader, rankingCsvRows, rankingItem } from '../../positions/ranking.ts';
import type { ApiDeps } from '../context.ts';
import { router } from '../context.ts';
import { limitBody, requireMediaType } from '../middleware/body.ts';
import { Problem } from '../middleware/problem.ts';
import {
  BatchAccepted,
  BatchBody,
  IdempotencyHeaders,
  IdParam,
  Position,
  PositionCreate,
  PositionPatch,
  PositionsPage,
  PositionsQuery,
  problems,
  RankingPage,
  RankingQuery,
  security,
} from '../schemas.ts';

const json = <T>(schema: T, description: string) => ({
  description,
  content: { 'application/json': { schema } },
});

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
const evaluationsRoute = createRoute({
  method: 'post',
  path: '/v1/positions/{id}/evaluations',
  security,
  request: {
    params: IdParam,
    headers: IdempotencyHeaders,
    body: { content: { 'application/json': { schema: BatchBody } }, required: true },
  },
  responses: {
    202: json(BatchAccepted, 'every candidate accepted (or the original answer replayed)'),
    ...problems(400, 401, 404, 409, 413, 415, 422, 503),
  },
});
const rankingRoute = createRoute({
  method: 'get',
  path: '/v1/positions/{id}/ranking',
  security,
  request: { params: IdParam, query: RankingQuery },
  responses: {
    200: {
      description:
        'candidates by combined score (50 × cv_match_rate + 50 × (project_score − 1) / 9), highest first; ' +
        'unscored last; ties by acceptance time then job id. Accept: text/csv for CSV.',
      content: {
        'application/json': { schema: RankingPage },
        'text/csv': { schema: z.string() },
      },
    },
    ...problems(400, 401, 404),
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

const etagOf = (p: { id: string; version: number }) => `"${p.id}.v${p.version}"`;

const uuid = (id: string) => z.uuid().safeParse(id).success;

function cursor<T extends Record<string, unknown>>(
  raw: string | undefined,
  check: (v: T) => boolean,
): T | undefined {
  if (!raw) return undefined;
  try {
    const v = JSON.parse(Buffer.from(raw, 'base64url').toString()) as T;
    if (v && typeof v === 'object' && check(v)) return v;
  } catch {}
  throw new Problem(codes.INVALID_CURSOR, 'the cursor is not one this API returned');
}
const encode = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');
const isTime = (t: unknown) => typeof t === 'string' && !Number.isNaN(Date.parse(t));

export function positionRoutes(deps: ApiDeps) {
  const app = router();
  const notFound = (id: string) => new Problem(codes.POSITION_NOT_FOUND, `no position ${id} among yours`);
  for (const path of ['/v1/positions', '/v1/positions/:id', '/v1/positions/:id/evaluations']) {
    app.on(['POST', 'PATCH'], path, requireMediaType('application/json'));
    app.on(
      ['POST', 'PATCH'],
      path,
      limitBody(2 * 1024 * 1024, codes.PAYLOAD_TOO_LARGE, 'the request body may be at most 2 MiB'),
    );
  }

  app.openapi(createPositionRoute, async (c) => {
    const b = c.req.valid('json');
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
    const after = cursor<{ t: string; id: string }>(q.cursor, (v) => isTime(v.t) && uuid(String(v.id)));
    const rows = await listPositions(deps.db, c.get('clientId'), {
      limit: q.limit + 1,
      includeArchived: q.include_archived === 'true',
      after: after && { createdAt: after.t, id: after.id },
    });
    const page = rows.slice(0, q.limit);
    const last = page.at(-1);
    return c.json(
      {
        items: page.map(view),
        next_cursor: rows.length > q.limit && last ? encode({ t: last.cursorTime, id: last.id }) : null,
      },
      200,
    );
  });

  app.openapi(getPositionRoute, async (c) => {
    const { id } = c.req.valid('param');
    const { version } = c.req.valid('query');
    const p = uuid(id) ? await getPosition(deps.db, c.get('clientId'), id, version) : undefined;
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
    if (!uuid(id)) throw notFound(id);
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
    if (!uuid(id) || !(await archivePosition(deps.db, c.get('clientId'), id))) throw notFound(id);
    return c.body(null, 204);
  });

  app.openapi(evaluationsRoute, async (c) => {
    const { id } = c.req.valid('param');
    if (!uuid(id)) throw notFound(id);
    if (!deps.publishAll) {
      throw new Problem(codes.QUEUE_UNAVAILABLE, 'this server cannot publish batches', {
        headers: { 'retry-after': '5' },
      });
    }
    const out = await acceptBatch(
      {
        db: deps.db,
        publishAll: deps.publishAll,
        jobsTopic: deps.jobsTopic,
        leaseMs: deps.publishing.leaseMs,
        publishTimeoutMs: deps.publishing.timeoutMs,
        logger: c.get('log'),
      },
      {
        clientId: c.get('clientId'),
        idempotencyKey: c.req.valid('header')['idempotency-key'],
        positionId: id,
        candidates: c.req.valid('json').candidates,
      },
    );
    if (!out.ok) {
      throw new Problem(out.code, out.detail, {
        extra: out.extra,
        headers: out.retryAfterSeconds ? { 'retry-after': String(out.retryAfterSeconds) } : {},
      });
    }
    if (out.replayed) c.header('idempotent-replayed', 'true');
    return c.json(
      {
        batch_id: out.batchId,
        position_id: id,
        position_version: out.positionVersion,
        jobs: out.jobs.map((j) => ({ ...j, status: 'queued' as const })),
      },
      202,
    );
  });

  app.openapi(rankingRoute, async (c) => {
    const { id } = c.req.valid('param');
    const q = c.req.valid('query');
    const clientId = c.get('clientId');
    if (!uuid(id) || !(await getPosition(deps.db, clientId, id))) throw notFound(id);
    const after = cursor<{ s: string; t: string; b: number; id: string; r: number }>(
      q.cursor,
      (v) =>
        /^-?\d+(\.\d+)?$/.test(String(v.s)) &&
        isTime(v.t) &&
        Number.isInteger(v.b) &&
        uuid(String(v.id)) &&
        Number.isInteger(v.r),
    );
    const rows = await positionRanking(deps.db, clientId, id, {
      status: q.status,
      minScore: q.min_score,
      version: q.version,
      limit: q.limit + 1,
      after: after && { score: after.s, createdAt: after.t, batchIndex: after.b, id: after.id },
    });
    const page = rows.slice(0, q.limit);
    const firstRank = (after?.r ?? 0) + 1;
    const last = page.at(-1);
    const next =
      rows.length > q.limit && last
        ? encode({
            s: String(last.sortScore),
            t: last.cursorTime,
            b: Number(last.batchIndex),
            id: last.jobId,
            r: firstRank + page.length - 1,
          })
        : null;
    const items = page.map(rankingItem);
    if (wantsCsv(c.req.header('accept'))) {
      if (next) c.header('link', `</v1/positions/${id}/ranking?cursor=${next}>; rel="next"`);
      const body = `${firstRank === 1 ? `${csvHeader.join(',')}\r\n` : ''}${rankingCsvRows(items, firstRank)}`;
      return c.body(body, 200, {
        'content-type': 'text/csv; charset=utf-8; header=present',
        'content-disposition': `attachment; filename="ranking-${id}.csv"`,
      });
    }
    return c.json(
      { position_id: id, items: items.map((it, i) => ({ rank: firstRank + i, ...it })), next_cursor: next },
      200,
    );
  });
  return app;
}

/** text/csv when the client prefers it over JSON (q-values honoured; JSON otherwise). */
function wantsCsv(accept: string | undefined): boolean {
  if (!accept) return false;
  let csv = 0;
  let json = 0;
  for (const part of accept.split(',')) {
    const [type, ...params] = part.trim().toLowerCase().split(';');
    const q = Number(
      params
        .map((p) => p.trim())
        .find((p) => p.startsWith('q='))
        ?.slice(2) ?? 1,
    );
    if (type === 'text/csv') csv = Math.max(csv, q);
    if (type === 'application/json' || type === '*/*' || type === 'application/*')
      json = Math.max(json, type === 'application/json' ? q : q * 0.99);
  }
  return csv > 0 && csv >= json;
}
