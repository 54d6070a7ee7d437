// POST /v1/uploads/bulk: many CV/report pairs in one multipart request — repeated `cv` and `project`
// fields, paired by their order. Each pair is stored or refused on its own: a refused file (too large,
// not a document, no text, …) is reported with its index, field, file name and code, and its pair is
// not stored; the others are. Documents are extracted two at a time to bound memory and CPU.
import { createHash, randomUUID } from 'node:crypto';
import { createRoute } from '@hono/zod-openapi';
import pLimit from 'p-limit';
import { insertUploads } from '../../db/uploads.ts';
import { type ApiErrorCode, codes } from '../../errors.ts';
import { abuseLimits } from '../../limits/abuse.ts';
import type { ApiDeps } from '../context.ts';
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
import { BulkUploadForm, BulkUploadResponse, problems, security } from '../schemas.ts';

export const MAX_BULK_PAIRS = 100;
const MAX_BULK_BYTES = 64 * 1024 * 1024;
/**
 * Files are read two at a time and each may take the sandbox's whole deadline, so 200 hostile files made
 * one request hold the instance's extraction workers for 17 minutes (found by a hostile-upload audit: 20
 * pairs of a 2 KB PDF took 208 s), while every other client's upload waited and was turned away. Files
 * not started within this budget are refused, retriably; 200 honest files take ~20 s.
 */
export const BULK_READ_BUDGET_MS = 60_000;

const bulkRoute = createRoute({
  method: 'post',
  path: '/v1/uploads/bulk',
  security,
  request: { body: { content: { 'multipart/form-data': { schema: BulkUploadForm } } } },
  responses: {
    201: {
      description: 'the pairs stored, and each refused file with its reason',
      content: { 'application/json': { schema: BulkUploadResponse } },
    },
    ...problems(400, 401, 413, 415, 422, 429, 503),
  },
});

interface Refusal {
  index: number;
  field: 'cv' | 'project';
  filename: string;
  code: ApiErrorCode;
  detail: string;
}

export function bulkUploadRoutes(
  deps: Pick<ApiDeps, 'db' | 'uploadMaxBytes' | 'uploadMemory' | 'extractor' | 'limits' | 'bulkReadBudgetMs'>,
) {
  const app = router();
  const extractor = deps.extractor!;
  const budgetMs = deps.bulkReadBudgetMs ?? BULK_READ_BUDGET_MS;
  const limits = abuseLimits(deps.db, deps.limits!);
  // One bulk request counts as one upload request against the client's rate.
  app.use('/v1/uploads/bulk', async (c, next) => {
    const headers = await limits.rate(c.get('clientId'), 'upload');
    await next();
    for (const [k, v] of Object.entries(headers)) c.header(k, v);
  });
  app.use('/v1/uploads/bulk', requireMediaType('multipart/form-data'));
  app.use('/v1/uploads/bulk', deps.uploadMemory!.admit(MAX_BULK_BYTES));
  app.use(
    '/v1/uploads/bulk',
    limitBody(
      MAX_BULK_BYTES,
      codes.PAYLOAD_TOO_LARGE,
      `a bulk upload may be at most ${MAX_BULK_BYTES} bytes`,
    ),
  );
  app.openAPIRegistry.registerPath(bulkRoute);
  app.post('/v1/uploads/bulk', async (c) => {
    const form = await readMultipart(c.req.raw, {
      maxFileBytes: deps.uploadMaxBytes,
      maxFiles: 2 * MAX_BULK_PAIRS,
    });
    const unexpected = unexpectedFields(form, ['cv', 'project']);
    if (unexpected.length) throw new Problem(codes.UNEXPECTED_FIELD, unexpectedFieldsDetail(unexpected));
    const cvs = filesOf(form, 'cv');
    const projects = filesOf(form, 'project');
    const pairs = Math.max(cvs.length, projects.length);
    if (pairs === 0) throw new Problem(codes.MISSING_FILE, 'send at least one "cv" and one "project" file');
    if (pairs > MAX_BULK_PAIRS)
      throw new Problem(codes.VALIDATION_FAILED, `at most ${MAX_BULK_PAIRS} pairs in one bulk upload`);

    const refused: Refusal[] = [];
    const limit = pLimit(2);
    const readUntil = performance.now() + budgetMs;
    const extract = (index: number, field: 'cv' | 'project', f: FilePart | undefined) =>
      limit(async () => {
        if (!f) {
          refused.push({
            index,
            field,
            filename: '',
            code: codes.MISSING_FILE,
            detail: `no "${field}" file at position ${index}`,
          });
          return undefined;
        }
        const filename = f.filename || field; // cut to 255 characters by readMultipart (safeFilename)
        if (f.tooLarge) {
          refused.push({
            index,
            field,
            filename,
            code: codes.FILE_TOO_LARGE,
            detail: `larger than ${deps.uploadMaxBytes} bytes, the most accepted`,
          });
          return undefined;
        }
        if (performance.now() >= readUntil) {
          refused.push({
            index,
            field,
            filename,
            code: codes.BULK_READ_BUDGET_EXCEEDED,
            detail: `not read: this bulk upload's ${budgetMs / 1000} s for reading files ran out; send the pair again`,
          });
          return undefined;
        }
        const bytes = f.bytes;
        try {
          // In the sandbox's worker threads, like single uploads: a hostile file in a bulk upload must
          // not parse on this event loop either.
          const extracted = await extractor.extract(bytes);
          return { field, filename, bytes, extracted };
        } catch (err) {
          const p = toProblem(err);
          // a code the catalog does not know of means a bug, not a refusal: answer 500
          if (p.code === codes.INTERNAL_ERROR) throw err;
          // the sandbox is full: the whole request is retried later, not one pair refused for it
          if (p.code === codes.EXTRACTION_BUSY) throw err;
          refused.push({ index, field, filename, code: p.code, detail: p.message });
          return undefined;
        }
      });
    const results = await Promise.all(
      Array.from({ length: pairs }, (_, i) =>
        Promise.all([extract(i, 'cv', cvs[i]), extract(i, 'project', projects[i])]),
      ),
    );
    const good = results
      .map(([cv, project], index) => ({ index, cv, project }))
      .filter(
        (p): p is { index: number; cv: NonNullable<typeof p.cv>; project: NonNullable<typeof p.project> } =>
          Boolean(p.cv && p.project),
      );
    if (good.length === 0) {
      throw new Problem(codes.BATCH_REFUSED, 'every pair was refused; nothing was stored', {
        extra: { refused: refused.sort((a, b) => a.index - b.index) },
      });
    }
    const clientId = c.get('clientId');
    const ids = good.map(() => ({ cv: randomUUID(), project: randomUUID() }));
    await insertUploads(
      deps.db,
      good.flatMap((p, i) =>
        [p.cv, p.project].map((u) => ({
          id: ids[i]![u.field],
          clientId,
          kind: u.field,
          filename: u.filename,
          mediaType: u.extracted.mediaType,
          sizeBytes: u.bytes.length,
          sha256: createHash('sha256').update(u.bytes).digest('hex'),
          extractedText: u.extracted.text,
        })),
      ),
    );
    return c.json(
      {
        accepted: good.map((p, i) => ({
          index: p.index,
          cv_id: ids[i]!.cv,
          project_id: ids[i]!.project,
        })),
        refused: refused.sort((a, b) => a.index - b.index || a.field.localeCompare(b.field)),
      },
      201,
    );
  });
  return app;
}
