// A bulk upload's time for reading files is bounded: files not started within the budget are refused
// (BULK_READ_BUDGET_EXCEEDED, retriable) instead of read. Found by a hostile-upload audit: each file may
// take the sandbox's whole deadline, so 20 pairs of a 2 KB PDF held the extraction workers for 208 s and
// 100 pairs would have held them for 17 minutes, while every other upload was turned away.
import { Hono } from 'hono';
import { describe, expect, it } from 'vitest';
import type { Env } from '../../lib/api/context.ts';
import { onProblem } from '../../lib/api/middleware/problem.ts';
import { bulkUploadRoutes } from '../../lib/api/routes/bulk-upload.ts';
import type { Database } from '../../lib/db/database.ts';
import { codes } from '../../lib/errors.ts';
import { ExtractionError } from '../../lib/evaluation/extract.ts';
import { UploadMemory } from '../../lib/limits/upload-memory.ts';
import { createLogger } from '../../lib/telemetry/logger.ts';

const FILE_MS = 100;

function appWith(budgetMs: number) {
  let reads = 0;
  // every file runs into the sandbox's deadline, as a hostile one does
  const extractor = {
    async extract(): Promise<never> {
      reads += 1;
      await new Promise((r) => setTimeout(r, FILE_MS));
      throw new ExtractionError(codes.EXTRACTION_TIMEOUT, 'reading the file took longer than 100 ms');
    },
  };
  const app = new Hono<Env>();
  app.onError(onProblem(createLogger({ level: 'silent' })));
  app.use('*', async (c, next) => {
    c.set('clientId', 'client');
    await next();
  });
  app.route(
    '/',
    bulkUploadRoutes({
      db: {} as Database, // nothing is stored: every pair is refused
      uploadMaxBytes: 1024 * 1024,
      uploadMemory: new UploadMemory(64 * 1024 * 1024),
      extractor,
      limits: { windowSeconds: 60, uploads: 0, evaluations: 0, jobsPerDay: 0, jobInputMaxChars: 1000 },
      bulkReadBudgetMs: budgetMs,
    }),
  );
  return { app, reads: () => reads };
}

function form(pairs: number) {
  const f = new FormData();
  for (let i = 0; i < pairs; i++) {
    f.append('cv', new Blob(['%PDF-1.7 slow']), `cv${i}.pdf`);
    f.append('project', new Blob(['%PDF-1.7 slow']), `report${i}.pdf`);
  }
  return f;
}

describe('bulk upload read budget', () => {
  it('refuses the files not started within the budget, unread, and answers within it', async () => {
    const { app, reads } = appWith(300);
    const started = performance.now();
    const res = await app.request('/v1/uploads/bulk', { method: 'POST', body: form(20) });
    const ms = performance.now() - started;
    expect(res.status).toBe(422);
    const body = (await res.json()) as { code: string; refused: { code: string; index: number }[] };
    expect(body.code).toBe('BATCH_REFUSED');
    expect(body.refused).toHaveLength(40);
    // two at a time, FILE_MS each: ~8 files fit in 300 ms, the rest are never read (40 without a budget)
    expect(reads()).toBeLessThanOrEqual(10);
    expect(body.refused.filter((r) => r.code === 'BULK_READ_BUDGET_EXCEEDED').length).toBe(40 - reads());
    // without the budget: 40 files × 100 ms / 2 = 2 s
    expect(ms).toBeLessThan(1000);
  });

  it('reads every file when they fit in the budget', async () => {
    const { app, reads } = appWith(60_000);
    const res = await app.request('/v1/uploads/bulk', { method: 'POST', body: form(3) });
    const body = (await res.json()) as { refused: { code: string }[] };
    expect(reads()).toBe(6);
    expect(body.refused.every((r) => r.code === 'EXTRACTION_TIMEOUT')).toBe(true);
  });
});
