// POST /v1/upload: a CV and a project report in one multipart form. Each document's type is decided by
// its content and its text extracted before anything is stored; a refusal stores nothing.
import { createHash } from 'node:crypto';
import { createRoute } from '@hono/zod-openapi';
import type { MiddlewareHandler } from 'hono';
import { insertUploads } from '../../db/uploads.ts';
import { codes } from '../../errors.ts';
import { abuseLimits } from '../../limits/abuse.ts';
import type { ApiDeps, Env } from '../context.ts';
import { router } from '../context.ts';
import { limitBody, requireMediaType } from '../middleware/body.ts';
import { Problem, toProblem } from '../middleware/problem.ts';
import {
  type FilePart,
  filesOf,
  readMultipart,
  unexpectedFields,
  unexpectedFieldsDetail,
} from '../multipart.ts';
import { problems, security, UploadForm, UploadResponse } from '../schemas.ts';

const uploadRoute = createRoute({
  method: 'post',
  path: '/v1/upload',
  security,
  request: { body: { content: { 'multipart/form-data': { schema: UploadForm } } } },
  responses: {
    201: { description: 'uploaded', content: { 'application/json': { schema: UploadResponse } } },
    ...problems(400, 401, 413, 415, 422, 429, 503),
  },
});

const FIELDS = ['cv', 'project'] as const;

export function uploadRoutes(
  deps: Pick<ApiDeps, 'db' | 'uploadMaxBytes' | 'uploadMemory' | 'extractor' | 'limits'>,
) {
  const app = router();
  const limits = abuseLimits(deps.db, deps.limits!);
  const extractor = deps.extractor!;
  // Counted before the body is read: a client over its rate costs one upsert, not a parse. POST only:
  // another method finds no route and uses none of the client's rate.
  const counted: MiddlewareHandler<Env> = async (c, next) => {
    const headers = await limits.rate(c.get('clientId'), 'upload');
    await next();
    for (const [k, v] of Object.entries(headers)) c.header(k, v);
  };
  // both files at their largest, and the form around them
  const maxBody = 2 * deps.uploadMaxBytes + 64 * 1024;
  const bounded = limitBody(
    maxBody,
    codes.FILE_TOO_LARGE,
    `each file may be at most ${deps.uploadMaxBytes} bytes`,
  );
  // Documented from its route schema but parsed by hand: the handler answers each multipart problem
  // with its own code (MISSING_FILE, UNEXPECTED_FIELD, …) rather than one generic validation error.
  app.openAPIRegistry.registerPath(uploadRoute);
  const held = deps.uploadMemory!.admit(maxBody);
  app.post('/v1/upload', counted, requireMediaType('multipart/form-data'), held, bounded, async (c) => {
    const form = await readMultipart(c.req.raw, { maxFileBytes: deps.uploadMaxBytes, maxFiles: 4 });
    const unexpected = unexpectedFields(form, FIELDS);
    if (unexpected.length) throw new Problem(codes.UNEXPECTED_FIELD, unexpectedFieldsDetail(unexpected));
    const files = {} as Record<(typeof FIELDS)[number], FilePart>;
    for (const name of FIELDS) {
      const sent = filesOf(form, name);
      // each refusal of one file names its field, as a refused document does
      const field = { extra: { field: name } };
      if (sent.length > 1 || (sent.length === 1 && form.fields.has(name)))
        throw new Problem(codes.DUPLICATE_FILE, `send exactly one "${name}" file`, field);
      const f = sent[0];
      if (!f)
        throw new Problem(
          codes.MISSING_FILE,
          `a "${name}" file is required (multipart field "${name}")`,
          field,
        );
      if (f.tooLarge) {
        throw new Problem(
          codes.FILE_TOO_LARGE,
          `"${name}" is larger than ${deps.uploadMaxBytes} bytes, the most accepted`,
          field,
        );
      }
      files[name] = f;
    }
    const [cv, project] = await Promise.all(
      FIELDS.map(async (kind) => {
        const file = files[kind];
        const bytes = file.bytes;
        try {
          // Parsed in the sandbox's worker threads, never on this event loop.
          const extracted = await extractor.extract(bytes);
          return { kind, file: { name: file.filename }, bytes, extracted };
        } catch (err) {
          const p = toProblem(err);
          throw new Problem(p.code, `${kind}: ${p.message}`, { extra: { field: kind }, headers: p.headers });
        }
      }),
    );
    const rows = await insertUploads(
      deps.db,
      [cv!, project!].map((u) => ({
        clientId: c.get('clientId'),
        kind: u.kind,
        // cleaned by readMultipart (safeFilename); none left, the field name stands in
        filename: u.file.name || u.kind,
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
  return app;
}
