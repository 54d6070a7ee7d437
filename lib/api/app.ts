// The submit function's HTTP API (Hono). Routes are declared with the same zod schemas the handlers
// validate with, and /openapi.json is generated from them.
import { createHash } from 'node:crypto';
import { createRoute, OpenAPIHono, z } from '@hono/zod-openapi';
import { bodyLimit } from 'hono/body-limit';
import { etag } from 'hono/etag';
import { requestId } from 'hono/request-id';
import { consoleClientOf, consoleEnv } from '../console/api.ts';
import { createConsole } from '../console/index.ts';
import type { QueueStats } from '../console/pages/dashboard.ts';
import type { Database } from '../db/client.ts';
import { findClientByKey } from '../db/clients.ts';
import {
  createOrGetJob,
  getClientJob,
  leaseHeld,
  listClientJobs,
  markPublished,
  releasePublishLease,
  takePublishLease,
} from '../db/jobs.ts';
import { jobStatuses } from '../db/schema.ts';
import { findClientUploads, insertUploads } from '../db/uploads.ts';
import { defaultLimits, extractDocument } from '../evaluation/extract.ts';
import { jobRequestRecord, resultEvent } from '../jobs/records.ts';
import type { OutputRecord } from '../kafka/types.ts';
import type { Logger } from '../telemetry/logger.ts';
import { telemetryMetrics } from '../telemetry/metrics.ts';
import { SpanKind, withSpan } from '../telemetry/tracing.ts';
import { canonicalJson } from '../util/canonical-json.ts';
import { withTimeout } from '../util/timeout.ts';
import { batched, ttlCache } from './batcher.ts';
import { Problem, problemResponse, toProblem } from './problem.ts';

export interface ApiDeps {
  db: Database;
  publish: (record: OutputRecord) => Promise<void>;
  jobsTopic: string;
  uploadMaxBytes: number;
  publishTimeoutMs?: number;
  leaseMs?: number;
  logger: Logger;
  readiness: () => Promise<Record<string, boolean>>;
  /** system-wide queue figures for the console's dashboard */
  queueStats?: () => Promise<QueueStats>;
}

type Env = { Variables: { requestId: string; clientId: string; log: Logger } };

const MAX_TEXT = 100_000;
const text = z.string().trim().min(1).max(MAX_TEXT);
const EvaluateBody = z
  .strictObject({
    cv_id: z.uuid(),
    project_id: z.uuid(),
    job_description: text.optional(),
    study_case_brief: text.optional(),
    scoring_rubric: text.optional(),
  })
  .openapi('EvaluateRequest');
const Accepted = z.object({ id: z.uuid(), status: z.enum(jobStatuses) }).openapi('Accepted');
const ProblemSchema = z
  .object({
    type: z.string(),
    title: z.string(),
    status: z.number(),
    detail: z.string(),
    code: z.string(),
    request_id: z.string().optional(),
  })
  .openapi('Problem');
const ResultSchema = z
  .object({
    id: z.uuid(),
    status: z.enum(jobStatuses),
    error: z.object({ code: z.string(), message: z.string() }).optional(),
    result: z
      .object({
        cv_match_rate: z.number(),
        cv_feedback: z.string(),
        project_score: z.number(),
        project_feedback: z.string(),
        overall_summary: z.string(),
      })
      .optional(),
    provenance: z.record(z.string(), z.unknown()).optional(),
  })
  .openapi('Result');
const UploadedFile = z.object({
  id: z.uuid(),
  filename: z.string(),
  media_type: z.string(),
  size: z.number(),
  sha256: z.string(),
});
const UploadResponse = z
  .object({
    cv_id: z.uuid(),
    project_id: z.uuid(),
    files: z.object({ cv: UploadedFile, project: UploadedFile }),
  })
  .openapi('UploadResponse');

const problems = (...codes: number[]) =>
  Object.fromEntries(
    codes.map((s) => [
      s,
      { description: 'problem', content: { 'application/problem+json': { schema: ProblemSchema } } },
    ]),
  );
const security = [{ bearer: [] as string[] }];

const uploadRoute = createRoute({
  method: 'post',
  path: '/v1/upload',
  security,
  request: {
    body: {
      content: {
        'multipart/form-data': {
          schema: z.object({
            cv: z.any().openapi({ type: 'string', format: 'binary' }),
            project: z.any().openapi({ type: 'string', format: 'binary' }),
          }),
        },
      },
    },
  },
  responses: {
    201: { description: 'uploaded', content: { 'application/json': { schema: UploadResponse } } },
    ...problems(400, 401, 413, 415, 422),
  },
});

const evaluateRoute = createRoute({
  method: 'post',
  path: '/v1/evaluate',
  security,
  request: {
    headers: z.object({
      'idempotency-key': z.string().min(1).max(255).openapi({ description: 'IETF draft Idempotency-Key' }),
    }),
    body: { content: { 'application/json': { schema: EvaluateBody } }, required: true },
  },
  responses: {
    202: {
      description: 'accepted (or the original answer replayed)',
      content: { 'application/json': { schema: Accepted } },
    },
    ...problems(400, 401, 404, 409, 415, 422, 503),
  },
});

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

const jobsRoute = createRoute({
  method: 'get',
  path: '/v1/jobs',
  security,
  request: {
    query: z.object({
      status: z.enum(jobStatuses).optional(),
      limit: z.coerce.number().int().min(1).max(100).default(20),
      cursor: z.string().optional(),
    }),
  },
  responses: {
    200: {
      description: "the caller's jobs, newest first",
      content: {
        'application/json': {
          schema: z.object({
            items: z.array(
              z.object({
                id: z.uuid(),
                status: z.enum(jobStatuses),
                created_at: z.string(),
                updated_at: z.string(),
              }),
            ),
            next_cursor: z.string().nullable(),
          }),
        },
      },
    },
    ...problems(400, 401),
  },
});

export function fingerprint(body: unknown): string {
  return createHash('sha256').update(canonicalJson(body)).digest('hex');
}

export function createApp(deps: ApiDeps): OpenAPIHono<Env> {
  const leaseMs = deps.leaseMs ?? 15_000;
  const publishTimeoutMs = deps.publishTimeoutMs ?? 5_000;
  const app = new OpenAPIHono<Env>({
    defaultHook: (result) => {
      if (!result.success) {
        const issues = result.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message }));
        const header = issues.some((i) => i.path === 'idempotency-key');
        throw new Problem(
          header ? 400 : 422,
          header ? 'IDEMPOTENCY_KEY_MISSING' : 'VALIDATION_FAILED',
          header
            ? 'an Idempotency-Key header (1–255 characters) is required'
            : 'the request does not match the schema',
          { extra: { errors: issues } },
        );
      }
    },
  });

  app.use('*', requestId({ headerName: 'x-request-id', limitLength: 128 }));
  app.use('*', async (c, next) => {
    const started = performance.now();
    await withSpan(
      `${c.req.method} ${c.req.path}`,
      { kind: SpanKind.SERVER, attributes: { 'http.request.method': c.req.method } },
      async (span) => {
        const log = deps.logger.child({ request_id: c.get('requestId') });
        c.set('log', log);
        await next();
        c.header('x-request-id', c.get('requestId'));
        const route = c.req.routePath || 'unmatched';
        span.updateName(`${c.req.method} ${route}`);
        span.setAttributes({ 'http.route': route, 'http.response.status_code': c.res.status });
        const ms = performance.now() - started;
        telemetryMetrics().httpDuration.record(ms, {
          method: c.req.method,
          route,
          status: String(c.res.status),
        });
        log.info(
          { method: c.req.method, path: c.req.path, status: c.res.status, ms: Math.round(ms) },
          'request',
        );
      },
    );
  });
  app.onError((err, c) => {
    const problem = toProblem(err);
    if (problem.status >= 500) (c.get('log') ?? deps.logger).error({ err }, 'request failed');
    return problemResponse(c, problem);
  });
  app.notFound((c) =>
    problemResponse(c, new Problem(404, 'ROUTE_NOT_FOUND', `no route for ${c.req.method} ${c.req.path}`)),
  );

  app.openAPIRegistry.registerComponent('securitySchemes', 'bearer', { type: 'http', scheme: 'bearer' });
  const clientsByKey = ttlCache<{ id: string }>(30_000);
  const markPublishedSoon = batched<string>((ids) => markPublished(deps.db, ids));

  app.get('/healthz', (c) => c.json({ status: 'ok' }));
  app.get('/readyz', async (c) => {
    const checks = await deps.readiness();
    const ok = Object.values(checks).every(Boolean);
    return c.json({ status: ok ? 'ready' : 'not ready', checks }, ok ? 200 : 503);
  });
  app.doc31('/openapi.json', {
    openapi: '3.1.0',
    info: {
      title: 'cv-evaluator',
      version: '1',
      description: 'Evaluate CVs and project reports with exactly-once effects.',
    },
  });
  // The web console (/, /app/…, /assets/…) and the offline API reference (/docs).
  app.route(
    '/',
    createConsole({
      db: deps.db,
      api: async (path, init, clientId) =>
        app.fetch(new Request(new URL(path, 'http://console.internal'), init), consoleEnv(clientId)),
      uploadMaxBytes: deps.uploadMaxBytes,
      hasRoute: (method, path) => app.routes.some((r) => r.method === method && r.path === path),
      queueStats: deps.queueStats,
    }),
  );

  // Auth: Authorization: Bearer <key>; a client sees only its own uploads, jobs and results.
  app.use('/v1/*', async (c, next) => {
    // The console calls in-process for its signed-in client (lib/console/api.ts); no HTTP request can.
    const internal = consoleClientOf(c.env);
    if (internal) {
      c.set('clientId', internal);
      return next();
    }
    const header = c.req.header('authorization') ?? '';
    const match = /^Bearer\s+(\S+)$/i.exec(header);
    if (!match)
      throw new Problem(401, 'UNAUTHENTICATED', 'an Authorization: Bearer <api key> header is required', {
        headers: { 'www-authenticate': 'Bearer' },
      });
    const key = match[1]!;
    const client = clientsByKey.get(key) ?? (await findClientByKey(deps.db, key));
    if (client) clientsByKey.set(key, client);
    if (!client)
      throw new Problem(401, 'INVALID_API_KEY', 'the API key is not valid', {
        headers: { 'www-authenticate': 'Bearer error="invalid_token"' },
      });
    c.set('clientId', client.id);
    await next();
  });

  const requireMediaType =
    (expected: string) =>
    async (c: { req: { header(n: string): string | undefined } }, next: () => Promise<void>) => {
      const type = (c.req.header('content-type') ?? '').split(';')[0]!.trim().toLowerCase();
      if (type !== expected) {
        throw new Problem(
          415,
          'UNSUPPORTED_CONTENT_TYPE',
          `Content-Type must be ${expected}${type ? ` (got ${type})` : ''}`,
        );
      }
      await next();
    };

  app.use('/v1/upload', requireMediaType('multipart/form-data'));
  app.use(
    '/v1/upload',
    bodyLimit({
      maxSize: 2 * deps.uploadMaxBytes + 64 * 1024,
      onError: () => {
        throw new Problem(413, 'FILE_TOO_LARGE', `each file may be at most ${deps.uploadMaxBytes} bytes`);
      },
    }),
  );
  // Documented from its route schema but parsed by hand: the handler answers each multipart problem
  // with its own code (MISSING_FILE, UNEXPECTED_FIELD, …) rather than one generic validation error.
  app.openAPIRegistry.registerPath(uploadRoute);
  app.post('/v1/upload', async (c) => {
    const form = await c.req.parseBody({ all: true }).catch((err) => {
      throw new Problem(400, 'MALFORMED_MULTIPART', 'the multipart body cannot be parsed', { cause: err });
    });
    const unexpected = Object.keys(form).filter((k) => k !== 'cv' && k !== 'project');
    if (unexpected.length)
      throw new Problem(422, 'UNEXPECTED_FIELD', `unexpected form fields: ${unexpected.join(', ')}`);
    const files = { cv: form.cv, project: form.project };
    for (const [name, f] of Object.entries(files)) {
      if (Array.isArray(f)) throw new Problem(422, 'DUPLICATE_FILE', `send exactly one "${name}" file`);
      if (!(f instanceof File))
        throw new Problem(422, 'MISSING_FILE', `a "${name}" file is required (multipart field "${name}")`);
      if (f.size > deps.uploadMaxBytes) {
        throw new Problem(
          413,
          'FILE_TOO_LARGE',
          `"${name}" is ${f.size} bytes; at most ${deps.uploadMaxBytes} are accepted`,
        );
      }
    }
    const [cv, project] = await Promise.all(
      (['cv', 'project'] as const).map(async (kind) => {
        const file = files[kind] as File;
        const bytes = new Uint8Array(await file.arrayBuffer());
        try {
          const extracted = await extractDocument(bytes, defaultLimits);
          return { kind, file, bytes, extracted };
        } catch (err) {
          const p = toProblem(err);
          throw new Problem(p.status, p.code, `${kind}: ${p.message}`, { extra: { field: kind } });
        }
      }),
    );
    const clientId = c.get('clientId');
    const rows = await insertUploads(
      deps.db,
      [cv!, project!].map((u) => ({
        clientId,
        kind: u.kind,
        filename: (u.file.name || u.kind).slice(0, 255),
        mediaType: u.extracted.mediaType,
        sizeBytes: u.bytes.length,
        sha256: createHash('sha256').update(u.bytes).digest('hex'),
        extractedText: u.extracted.text,
      })),
    );
    const view = (r: (typeof rows)[number]) => ({
      id: r.id,
      filename: r.filename,
      media_type: r.mediaType,
      size: r.sizeBytes,
      sha256: r.sha256,
    });
    const cvRow = rows.find((r) => r.kind === 'cv')!;
    const projectRow = rows.find((r) => r.kind === 'project')!;
    return c.json(
      { cv_id: cvRow.id, project_id: projectRow.id, files: { cv: view(cvRow), project: view(projectRow) } },
      201,
    );
  });

  app.use('/v1/evaluate', requireMediaType('application/json'));
  app.use(
    '/v1/evaluate',
    bodyLimit({
      maxSize: 4 * 1024 * 1024,
      onError: () => {
        throw new Problem(413, 'PAYLOAD_TOO_LARGE', 'the request body may be at most 4 MiB');
      },
    }),
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
      if (!upload) throw new Problem(404, 'UPLOAD_NOT_FOUND', `${field} ${id} is not one of your uploads`);
      if (upload.kind !== kind)
        throw new Problem(422, 'WRONG_UPLOAD_KIND', `${field} refers to a ${upload.kind} upload`);
    }

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
          422,
          'IDEMPOTENCY_KEY_REUSED',
          'this Idempotency-Key was used with a different request body',
        );
      }
      if (job.publishedAt) {
        c.header('idempotent-replayed', 'true');
        return c.json(accepted, 202);
      }
      if (leaseHeld(job) || !(await takePublishLease(deps.db, job.id, leaseMs))) {
        throw new Problem(
          409,
          'IDEMPOTENCY_KEY_IN_FLIGHT',
          'a request with this Idempotency-Key is still being processed',
          {
            headers: { 'retry-after': '1' },
          },
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
        503,
        'QUEUE_UNAVAILABLE',
        'the job queue is unavailable; retry with the same Idempotency-Key',
        {
          headers: { 'retry-after': '5' },
          extra: { id: job.id },
        },
      );
    }
    await markPublishedSoon(job.id);
    return c.json(accepted, 202);
  });

  app.use('/v1/result/*', etag());
  app.openapi(resultRoute, async (c) => {
    const { id } = c.req.valid('param');
    const uuid = z.uuid().safeParse(id);
    const row = uuid.success ? await getClientJob(deps.db, c.get('clientId'), id) : undefined;
    if (!row) throw new Problem(404, 'JOB_NOT_FOUND', `no job ${id} among yours`);
    const { job, result } = row;
    if (result) {
      const event = resultEvent(result);
      return c.json(
        {
          id: job.id,
          status: event.status,
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
          error: { code: job.errorCode ?? 'FAILED', message: job.errorMessage ?? '' },
        },
        200,
      );
    }
    return c.json({ id: job.id, status: job.status }, 200);
  });

  app.openapi(jobsRoute, async (c) => {
    const q = c.req.valid('query');
    let after: { createdAt: string; id: string } | undefined;
    if (q.cursor) {
      try {
        const decoded = JSON.parse(Buffer.from(q.cursor, 'base64url').toString()) as {
          t: string;
          id: string;
        };
        if (typeof decoded.t !== 'string' || Number.isNaN(Date.parse(decoded.t))) throw new Error('bad time');
        after = { createdAt: decoded.t, id: z.uuid().parse(decoded.id) };
      } catch {
        throw new Problem(400, 'INVALID_CURSOR', 'the cursor is not one this API returned');
      }
    }
    const rows = await listClientJobs(deps.db, c.get('clientId'), {
      status: q.status,
      limit: q.limit + 1,
      after,
    });
    const page = rows.slice(0, q.limit);
    const last = page[page.length - 1];
    const next =
      rows.length > q.limit && last
        ? Buffer.from(JSON.stringify({ t: last.cursorTime, id: last.id })).toString('base64url')
        : null;
    return c.json(
      {
        items: page.map((r) => ({
          id: r.id,
          status: r.status,
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
