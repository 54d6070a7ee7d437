// The extraction sandbox: hostile files are refused fast, a worker that overruns its deadline or its
// memory is terminated (and replaced), and requests beyond the pool wait in a bounded queue.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultLimits, ExtractionError } from '../../lib/evaluation/extract.ts';
import { ExtractionSandbox, SandboxBusyError, type SandboxOptions } from '../../lib/extraction/sandbox.ts';
import { makeDocx, makeDocxInflating, makePdf, makePdfInflating } from '../helpers/documents.ts';

const base: SandboxOptions = {
  workers: 2,
  queue: 16,
  queueTimeoutMs: 10_000,
  timeoutMs: 5_000,
  heapMb: 96,
  memoryMb: 160,
  limits: defaultLimits,
};

async function outcome(sb: ExtractionSandbox, bytes: Uint8Array): Promise<{ code: string; ms: number }> {
  const started = performance.now();
  try {
    await sb.extract(bytes);
    return { code: 'accepted', ms: performance.now() - started };
  } catch (err) {
    if (err instanceof ExtractionError || err instanceof SandboxBusyError)
      return { code: err.code, ms: performance.now() - started };
    throw err;
  }
}

describe('extraction sandbox', { timeout: 60_000 }, () => {
  let docxBomb: Uint8Array;
  let pdfBomb: Uint8Array;
  const sandboxes: ExtractionSandbox[] = [];
  const sandbox = (o: Partial<SandboxOptions> = {}) => {
    const sb = new ExtractionSandbox({ ...base, ...o });
    sandboxes.push(sb);
    return sb;
  };
  beforeAll(async () => {
    docxBomb = await makeDocxInflating(28);
    pdfBomb = await makePdfInflating(512);
  }, 60_000);
  afterAll(async () => {
    await Promise.all(sandboxes.map((s) => s.close()));
  });

  it('the hostile files are the sizes the issue describes', () => {
    expect(docxBomb.length).toBeLessThan(150 * 1024);
    expect(pdfBomb.length).toBeGreaterThan(400 * 1024);
    expect(pdfBomb.length).toBeLessThan(600 * 1024);
  });

  it('reads honest PDF and DOCX files', async () => {
    const sb = sandbox();
    const pdf = await sb.extract(await makePdf(['Jane Doe', 'Kafka and PostgreSQL']));
    expect(pdf.text).toContain('Kafka');
    const docx = await sb.extract(await makeDocx(['Project report', 'exponential backoff']));
    expect(docx.text).toContain('exponential backoff');
  });

  // Timings are the benchmark's business (npm run bench:hostile); here, the refusals and their codes.
  it('refuses a DOCX inflating to 28 MB and a PDF inflating to 512 MB', async () => {
    const sb = sandbox();
    expect((await outcome(sb, docxBomb)).code).toBe('ZIP_BOMB');
    expect((await outcome(sb, pdfBomb)).code).toBe('DECOMPRESSION_BOMB');
    expect(sb.stats.respawned).toBe(0);
  });

  it('terminates a worker past its deadline, and the next file gets a fresh one', async () => {
    const sb = sandbox({ workers: 1, timeoutMs: 5 });
    // 5 ms is less than pdf.js needs for a first document (its font and worker set-up)
    expect((await outcome(sb, await makePdf(['slow']))).code).toBe('EXTRACTION_TIMEOUT');
    expect(sb.stats.respawned).toBe(1);
    const honest = new ExtractionSandbox({ ...base, workers: 1 });
    sandboxes.push(honest);
    expect((await outcome(honest, await makePdf(['fast enough']))).code).toBe('accepted');
  });

  it('terminates a worker whose memory (heap + buffers) passes the cap', async () => {
    // The scan would refuse this PDF; with generous scan limits pdf.js inflates 100 MB itself.
    const big = await makePdfInflating(100);
    const sb = sandbox({
      workers: 1,
      memoryMb: 64,
      limits: { ...defaultLimits, maxPartBytes: 1e9, maxInflatedBytes: 1e9 },
    });
    const r = await outcome(sb, big);
    expect(r.code).toBe('DOCUMENT_TOO_COMPLEX');
    expect(sb.stats.overMemory).toBeGreaterThanOrEqual(1);
  }, 30_000);

  it('bounds the queue: beyond the workers and the queue, a file is turned away at once', async () => {
    const sb = sandbox({ workers: 1, queue: 1 });
    const bytes = await makePdf(['x']);
    const results = await Promise.all([1, 2, 3, 4].map(() => outcome(sb, bytes)));
    const codes = results.map((r) => r.code).sort();
    expect(codes).toEqual(['EXTRACTION_BUSY', 'EXTRACTION_BUSY', 'accepted', 'accepted']);
  });
});
