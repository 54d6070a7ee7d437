// A position's batch evaluation, POST /v1/positions/{id}/evaluations (up to 100 candidates accepted
// in one database transaction, replayed under its Idempotency-Key), and its ranking,
// GET /v1/positions/{id}/ranking: JSON, or CSV with Accept: text/csv.
import { createRoute, z } from '@hono/zod-openapi';
import { getPosition } from '../../db/positions.ts';
import { positionRanking } from '../../db/ranking.ts';
import { codes } from '../../errors.ts';
import { acceptBatch } from '../../jobs/accept-batch.ts';
import { csvHeader, rankingCsvRows, rankingItem } from '../../positions/ranking.ts';
import type { ApiDeps } from '../context.ts';
import { router } from '../context.ts';
import { limitBody, requireMediaType } from '../middleware/body.ts';
import { Problem } from '../middleware/problem.ts';
import { decodeCursor, encodeCursor, isTime, isUuid, json } from '../route-kit.ts';
import {
  BatchAccepted,
  BatchBody,
  IdempotencyHeaders,
  IdParam,
  problems,
  RankingPage,
  RankingQuery,
  security,
} from '../schemas.ts';
import { positionNotFound } from './positions.ts';

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
        'candidates by combined score (50 × (cv_match_rate − 0.2) / 0.8 + 50 × (project_score − 2) / 8), highest first; ' +
        'unscored last; ties by acceptance time then job id. Accept: text/csv for CSV.',
      content: {
        'application/json': { schema: RankingPage },
        'text/csv': { schema: z.string() },
      },
    },
    ...problems(400, 401, 404),
  },
});

export function positionEvaluationRoutes(deps: ApiDeps) {
  const app = router();
  const path = '/v1/positions/:id/evaluations';
  app.post(path, requireMediaType('application/json'));
  app.post(
    path,
    limitBody(2 * 1024 * 1024, codes.PAYLOAD_TOO_LARGE, 'the request body may be at most 2 MiB'),
  );

  app.openapi(evaluationsRoute, async (c) => {
    const { id } = c.req.valid('param');
    if (!isUuid(id)) throw positionNotFound(id);
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
    if (!isUuid(id) || !(await getPosition(deps.db, clientId, id))) throw positionNotFound(id);
    // a version the position never had is not an empty ranking (found from outside: ?version=99 gave 200)
    if (q.version !== undefined && !(await getPosition(deps.db, clientId, id, q.version)))
      throw new Problem(codes.POSITION_NOT_FOUND, `position ${id} has no version ${q.version}`);
    const after = decodeCursor<{ s: string; t: string; b: number; id: string; r: number }>(
      q.cursor,
      (v) =>
        /^-?\d+(\.\d+)?$/.test(String(v.s)) &&
        isTime(v.t) &&
        Number.isInteger(v.b) &&
        isUuid(String(v.id)) &&
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
        ? encodeCursor({
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
