// Issue 13 through HTTP, on the real PostgreSQL and broker: hostile files refused by the sandbox with
// nothing stored, an upload over the instance's upload memory refused unread, the text rules,
// Idempotency-Key and override checks, 429 with Retry-After and RateLimit headers, the daily quota, the
// input budget, revocation, erasure routes and the access log.
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClient, revokeKeys } from '../../lib/db/api-clients.ts';
import { UploadMemory } from '../../lib/limits/upload-memory.ts';
import { HUMAN_REVIEW_NOTICE } from '../../lib/records/result-event.ts';
import { type ApiHarness, apiHarness, uploadForm } from '../helpers/api.ts';
import { makeDocxInflating, makePdfInflating } from '../helpers/documents.ts';
import { isolatedStack } from '../helpers/isolation.ts';

const stack = await isolatedStack('edge-api');
let h: ApiHarness;
const TTL = 300;
// small enough for two uploads of this file's test to collide; an upload alone is admitted whatever its size
const memory = new UploadMemory(256 * 1024);
beforeAll(async () => {
  h = await apiHarness(stack, {
    limits: { uploads: 3, evaluations: 100, jobsPerDay: 2, jobInputMaxChars: 5000 },
    keyCacheTtlMs: TTL,
    uploadMemory: memory,
  });
});
afterAll(async () => {
  await h?.close();
});

const auth = (key: string) => ({ authorization: `Bearer ${key}` });
const newClient = async () => createClient(h.db, `edge-${crypto.randomUUID().slice(0, 8)}`);
const cvText = 'Jane Doe. Senior engineer with 7 years of Node.js, Kafka and PostgreSQL.';
const report = 'Project report: endpoints, a Kafka queue, retries with backoff, README with setup.';

function upload(
  key: string,
  cv: Uint8Array | string,
  name = 'cv.txt',
  project: Uint8Array | string = report,
) {
  return h.app.request('/v1/upload', {
    method: 'POST',
    headers: auth(key),
    body: uploadForm({ cv: { bytes: cv, name }, project: { bytes: project, name: 'report.txt' } }),
  });
}
function evaluate(key: string, body: unknown, idempotencyKey: string = crypto.randomUUID()) {
  return h.app.request('/v1/evaluate', {
    method: 'POST',
    headers: { ...auth(key), 'content-type': 'application/json', 'idempotency-key': idempotencyKey },
    body: JSON.stringify(body),
  });
}
async function problem(res: Response, status: number, code: string) {
  expect(res.status).toBe(status);
  expect(res.headers.get('content-type')).toBe('application/problem+json');
  const body = (await res.json()) as { code: string; detail: string };
  expect(body.code).toBe(code);
  return body;
}
const uploadsOf = async (clientId: string) =>
  Number(
    (
      (
        await h.db.execute(sql`select count(*)::int as n from uploads where client_id = ${clientId}::uuid`)
      )[0] as {
        n: number;
      }
    ).n,
  );

async function uploaded(key: string) {
  const res = await upload(key, cvText);
  expect(res.status).toBe(201);
  const { cv_id, project_id } = (await res.json()) as { cv_id: string; project_id: string };
  return { cv_id, project_id };
}

describe('hostile files through the API', () => {
  it('a DOCX inflating to 28 MB and a PDF inflating to 512 MB: 422 with a stable code, nothing stored', async () => {
    const c = await newClient();
    const docx = await problem(
      await upload(c.apiKey, await makeDocxInflating(28), 'cv.docx'),
      422,
      'ZIP_BOMB',
    );
    expect(docx.detail).toMatch(/^cv: /);
    await problem(await upload(c.apiKey, await makePdfInflating(512), 'cv.pdf'), 422, 'DECOMPRESSION_BOMB');
    expect(await uploadsOf(c.id)).toBe(0);
  }, 60_000);

  it('text: NUL after 64 KiB refused, UTF-16 with a BOM accepted and stored as text', async () => {
    const c = await newClient();
    const nul = Buffer.from(`${'a '.repeat(40 * 1024)}\u0000 tail`, 'utf8');
    await problem(await upload(c.apiKey, new Uint8Array(nul)), 422, 'TEXT_CONTAINS_NUL');
    expect(await uploadsOf(c.id)).toBe(0);
    const utf16 = new Uint8Array(
      Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(`Zoë ${cvText}`, 'utf16le')]),
    );
    const ok = await upload(c.apiKey, utf16, 'cv.txt');
    expect(ok.status).toBe(201);
    const { cv_id } = (await ok.json()) as { cv_id: string };
    const [row] = await h.db.execute<{ t: string }>(
      sql`select extracted_text as t from uploads where id = ${cv_id}::uuid`,
    );
    expect(row!.t).toBe(`Zoë ${cvText}`);
  });
});

describe('upload memory through the API', () => {
  it('an upload that does not fit beside one being read is refused 503 unread and stores nothing; the first is stored', async () => {
    const c = await newClient();
    const form = uploadForm({
      cv: { bytes: `${cvText} `.repeat(2_000), name: 'cv.txt' },
      project: { bytes: report, name: 'report.txt' },
    });
    const encoded = new Response(form);
    const type = encoded.headers.get('content-type')!;
    const bytes = new Uint8Array(await encoded.arrayBuffer());
    expect(bytes.length).toBeGreaterThan(128 * 1024);
    // the first upload's body arrives in two halves; the second half waits for the gate
    let open: () => void = () => {};
    const gate = new Promise<void>((r) => {
      open = r;
    });
    let half = false;
    const slow = new ReadableStream<Uint8Array>({
      async pull(ctl) {
        if (!half) {
          half = true;
          ctl.enqueue(bytes.subarray(0, bytes.length >> 1));
          return;
        }
        await gate;
        ctl.enqueue(bytes.subarray(bytes.length >> 1));
        ctl.close();
      },
    });
    const headers = { ...auth(c.apiKey), 'content-type': type, 'content-length': String(bytes.length) };
    const first = h.app.request('/v1/upload', {
      method: 'POST',
      headers,
      body: slow,
      duplex: 'half',
    } as RequestInit);
    while (memory.usedBytes === 0) await new Promise((r) => setTimeout(r, 2));
    expect(memory.usedBytes).toBe(bytes.length);
    try {
      let pulled = false;
      // pulled only when read: a stream with the default high-water mark is pulled as it is made
      const unread = new ReadableStream<Uint8Array>(
        {
          pull(ctl) {
            pulled = true;
            ctl.enqueue(bytes);
            ctl.close();
          },
        },
        { highWaterMark: 0 },
      );
      const refused = await h.app.request('/v1/upload', {
        method: 'POST',
        headers,
        body: unread,
        duplex: 'half',
      } as RequestInit);
      const body = await problem(refused, 503, 'EXTRACTION_BUSY');
      expect(refused.headers.get('retry-after')).toBeTruthy();
      expect(body.detail).not.toContain('Jane');
      expect(pulled).toBe(false);
      expect(await uploadsOf(c.id)).toBe(0);
    } finally {
      open();
    }
    expect((await first).status).toBe(201);
    expect(await uploadsOf(c.id)).toBe(2);
    expect(memory.usedBytes).toBe(0);
  });
});

describe('evaluate input rules, limits and quota', () => {
  it('Idempotency-Key "" or blank is refused; an override with NUL is refused; nothing stored', async () => {
    const c = await newClient();
    const up = await uploaded(c.apiKey);
    await problem(await evaluate(c.apiKey, up, ''), 400, 'IDEMPOTENCY_KEY_INVALID');
    await problem(await evaluate(c.apiKey, up, '   '), 400, 'IDEMPOTENCY_KEY_INVALID');
    await problem(
      await evaluate(c.apiKey, { ...up, job_description: 'Backend\u0000role' }),
      422,
      'VALIDATION_FAILED',
    );
    const [n] = await h.db.execute<{ n: number }>(
      sql`select count(*)::int as n from jobs where client_id = ${c.id}::uuid`,
    );
    expect(n!.n).toBe(0);
  });

  it('the upload rate: 429 problem+json with Retry-After and the IETF RateLimit headers', async () => {
    const c = await newClient();
    for (let i = 0; i < 3; i++) {
      const res = await upload(c.apiKey, cvText);
      expect(res.status).toBe(201);
      expect(res.headers.get('ratelimit')).toBe(
        `"upload";r=${2 - i};t=${res.headers.get('ratelimit')!.split('t=')[1]}`,
      );
    }
    const refused = await upload(c.apiKey, cvText);
    await problem(refused, 429, 'RATE_LIMITED');
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(refused.headers.get('ratelimit-policy')).toBe('"upload";q=3;w=60');
    expect(refused.headers.get('ratelimit')).toMatch(/^"upload";r=0;t=\d+$/);
    // another client is not affected
    expect((await upload((await newClient()).apiKey, cvText)).status).toBe(201);
  });

  it('another method on /v1/upload finds no route and uses none of the upload rate', async () => {
    // found from outside: PUT answered 415 and took a slot of the rate
    const c = await newClient();
    for (let i = 0; i < 5; i++) {
      const res = await h.app.request('/v1/upload', {
        method: 'PUT',
        headers: { authorization: `Bearer ${c.apiKey}` },
      });
      await problem(res, 404, 'ROUTE_NOT_FOUND');
    }
    for (let i = 0; i < 3; i++) expect((await upload(c.apiKey, cvText)).status).toBe(201);
  });

  it('the daily job quota: the third new job is refused, a retry of an accepted one is not', async () => {
    const c = await newClient();
    const up = await uploaded(c.apiKey);
    expect((await evaluate(c.apiKey, up, 'q-1')).status).toBe(202);
    expect((await evaluate(c.apiKey, up, 'q-2')).status).toBe(202);
    const refused = await evaluate(c.apiKey, up, 'q-3');
    await problem(refused, 429, 'QUOTA_EXCEEDED');
    expect(refused.headers.get('retry-after')).toBeTruthy();
    expect((await evaluate(c.apiKey, up, 'q-1')).status).toBe(202);
  });

  it('the input budget per job counts documents and overrides', async () => {
    const c = await newClient();
    const up = await uploaded(c.apiKey);
    await problem(
      await evaluate(c.apiKey, { ...up, job_description: 'x'.repeat(4900) }),
      422,
      'INPUT_BUDGET_EXCEEDED',
    );
  });
});

describe('keys, erasure and the access log through the API', () => {
  it('a revoked key gets 401 within the cache TTL', async () => {
    const c = await newClient();
    expect((await h.app.request('/v1/jobs', { headers: auth(c.apiKey) })).status).toBe(200);
    await revokeKeys(h.db, { keyId: c.keyId });
    await new Promise((r) => setTimeout(r, TTL + 50));
    await problem(await h.app.request('/v1/jobs', { headers: auth(c.apiKey) }), 401, 'INVALID_API_KEY');
  });

  it('GET result is logged and says a human must review it; DELETE erases, then 404 for everyone', async () => {
    const c = await newClient();
    const other = await newClient();
    const up = await uploaded(c.apiKey);
    const accepted = await evaluate(c.apiKey, up, 'erase-me');
    const { id } = (await accepted.json()) as { id: string };
    const read = await h.app.request(`/v1/result/${id}`, { headers: auth(c.apiKey) });
    expect(((await read.json()) as { notice: string }).notice).toBe(HUMAN_REVIEW_NOTICE);
    const log = await h.db.execute<{ client_id: string; api_key_id: string; request_id: string }>(
      sql`select client_id, api_key_id, request_id from result_reads where job_id = ${id}::uuid`,
    );
    expect(log).toHaveLength(1);
    expect(log[0]).toMatchObject({ client_id: c.id, api_key_id: c.keyId });
    expect(log[0]!.request_id).toBe(read.headers.get('x-request-id'));

    await problem(
      await h.app.request(`/v1/jobs/${id}`, { method: 'DELETE', headers: auth(other.apiKey) }),
      404,
      'JOB_NOT_FOUND',
    );
    const del = await h.app.request(`/v1/jobs/${id}`, { method: 'DELETE', headers: auth(c.apiKey) });
    expect(del.status).toBe(200);
    expect(await del.json()).toEqual({ id, erased_jobs: [id] });
    await problem(await h.app.request(`/v1/result/${id}`, { headers: auth(c.apiKey) }), 404, 'JOB_NOT_FOUND');
    // the job's uploads went with it (no other job used them)
    await problem(
      await h.app.request(`/v1/uploads/${up.cv_id}`, { method: 'DELETE', headers: auth(c.apiKey) }),
      404,
      'UPLOAD_NOT_FOUND',
    );
    expect(await uploadsOf(c.id)).toBe(0);
  });
});
