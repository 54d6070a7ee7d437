// The submit API against real PostgreSQL and the real broker: happy paths, a catalog of bad inputs,
// idempotency under concurrency, and a broker that does not answer.
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../lib/config.ts';
import { createClient } from '../../lib/db/api-clients.ts';
import { sweepUnpublished } from '../../lib/jobs/sweeper.ts';
import { HUMAN_REVIEW_NOTICE } from '../../lib/records/result-event.ts';
import { type ApiHarness, apiHarness, uploadForm } from '../helpers/api.ts';
import {
  CORRUPT_PDF,
  makeDocx,
  makeDocxZipBomb,
  makeEncryptedPdf,
  makePdf,
  PNG_BYTES,
} from '../helpers/documents.ts';
import { isolatedStack } from '../helpers/isolation.ts';
import { drainTopic } from '../helpers/kafka.ts';

const stack = await isolatedStack('api');
let h: ApiHarness;
const UPLOAD_LIMIT = 300_000;

beforeAll(async () => {
  h = await apiHarness(stack, { uploadMaxBytes: UPLOAD_LIMIT });
});
afterAll(async () => {
  await h.close();
});

const auth = (key: string) => ({ authorization: `Bearer ${key}` });
const cvText = 'Jane Doe. Senior engineer with 7 years of Node.js, Kafka and PostgreSQL.';
const reportText = 'Project report: endpoints, a Kafka queue, retries with backoff, README with setup.';

async function upload(
  key: string,
  cv: Uint8Array | string = cvText,
  project: Uint8Array | string = reportText,
) {
  const res = await h.app.request('/v1/upload', {
    method: 'POST',
    headers: auth(key),
    body: uploadForm({ cv: { bytes: cv, name: 'cv.txt' }, project: { bytes: project, name: 'report.txt' } }),
  });
  return { res, body: (await res.json()) as { cv_id: string; project_id: string; code?: string } };
}

function evaluateRequest(
  key: string,
  body: unknown,
  idempotencyKey: string | null = crypto.randomUUID(),
  contentType = 'application/json',
) {
  return h.app.request('/v1/evaluate', {
    method: 'POST',
    headers: {
      ...auth(key),
      'content-type': contentType,
      ...(idempotencyKey === null ? {} : { 'idempotency-key': idempotencyKey }),
    },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
}

async function expectProblem(res: Response, status: number, code: string) {
  expect(res.status).toBe(status);
  expect(res.headers.get('content-type')).toBe('application/problem+json');
  const body = (await res.json()) as {
    code: string;
    status: number;
    request_id: string;
    type: string;
    detail: string;
  };
  expect(body.code).toBe(code);
  expect(body.status).toBe(status);
  expect(body.request_id).toBeTruthy();
  expect(res.headers.get('x-request-id')).toBe(body.request_id);
  return body;
}

describe('submit API: happy paths', () => {
  it('uploads a real PDF and a real DOCX, made by the test', async () => {
    const pdf = await makePdf(['Jane Doe', 'Backend engineer: TypeScript, Kafka, PostgreSQL']);
    const docx = await makeDocx(['Project report', 'Idempotent consumers and retries with backoff']);
    const res = await h.app.request('/v1/upload', {
      method: 'POST',
      headers: auth(h.keyA),
      body: uploadForm({ cv: { bytes: pdf, name: 'cv.pdf' }, project: { bytes: docx, name: 'report.docx' } }),
    });
    expect(res.status).toBe(201);
    const body = (await res.json()) as {
      files: { cv: { media_type: string }; project: { media_type: string } };
    };
    expect(body.files.cv.media_type).toBe('application/pdf');
    expect(body.files.project.media_type).toBe(
      'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
    );
    const [row] = await h.db.execute<{ extracted_text: string }>(
      sql`select extracted_text from uploads where kind = 'cv' and filename = 'cv.pdf'`,
    );
    expect(row?.extracted_text).toContain('Kafka');
  });

  it('evaluate answers 202 once the request record is committed; the same key and body replay the same job', async () => {
    const { body: up } = await upload(h.keyA);
    const key = `happy-${crypto.randomUUID()}`;
    const first = await evaluateRequest(h.keyA, { cv_id: up.cv_id, project_id: up.project_id }, key);
    expect(first.status).toBe(202);
    const accepted = (await first.json()) as { id: string; status: string };
    expect(accepted.status).toBe('queued');
    const again = await evaluateRequest(h.keyA, { project_id: up.project_id, cv_id: up.cv_id }, key);
    expect(again.status).toBe(202);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect(((await again.json()) as { id: string }).id).toBe(accepted.id);
    const records = await drainTopic(stack.kafka, h.topics.jobs, { expected: 1, settleMs: 500 });
    expect(records.filter((r) => r.key === accepted.id)).toHaveLength(1);
  });

  it('result: queued shape, an ETag, and 304 for If-None-Match', async () => {
    const { body: up } = await upload(h.keyA);
    const res = await evaluateRequest(h.keyA, { cv_id: up.cv_id, project_id: up.project_id });
    const { id } = (await res.json()) as { id: string };
    const r1 = await h.app.request(`/v1/result/${id}`, { headers: auth(h.keyA) });
    expect(r1.status).toBe(200);
    expect(await r1.json()).toEqual({ id, status: 'queued', notice: HUMAN_REVIEW_NOTICE });
    const tag = r1.headers.get('etag');
    expect(tag).toBeTruthy();
    const r2 = await h.app.request(`/v1/result/${id}`, {
      headers: { ...auth(h.keyA), 'if-none-match': tag! },
    });
    expect(r2.status).toBe(304);
  });

  it('jobs: newest first, cursor-paginated, filtered by status', async () => {
    const key = (await import('../../lib/db/api-clients.ts')).createClient;
    const { apiKey } = await key(h.db, 'lister');
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) {
      const { body: up } = await upload(apiKey);
      const res = await evaluateRequest(apiKey, { cv_id: up.cv_id, project_id: up.project_id });
      ids.push(((await res.json()) as { id: string }).id);
    }
    const page1 = (await (await h.app.request('/v1/jobs?limit=2', { headers: auth(apiKey) })).json()) as {
      items: { id: string }[];
      next_cursor: string;
    };
    expect(page1.items.map((j) => j.id)).toEqual([ids[2], ids[1]]);
    const page2 = (await (
      await h.app.request(`/v1/jobs?limit=2&cursor=${page1.next_cursor}`, { headers: auth(apiKey) })
    ).json()) as {
      items: { id: string }[];
      next_cursor: string | null;
    };
    expect(page2.items.map((j) => j.id)).toEqual([ids[0]]);
    expect(page2.next_cursor).toBeNull();
    const done = (await (
      await h.app.request('/v1/jobs?status=completed', { headers: auth(apiKey) })
    ).json()) as { items: unknown[] };
    expect(done.items).toEqual([]);
    await expectProblem(
      await h.app.request('/v1/jobs?cursor=garbage', { headers: auth(apiKey) }),
      400,
      'INVALID_CURSOR',
    );
  });

  it('health, readiness, OpenAPI document and docs page', async () => {
    expect((await h.app.request('/healthz')).status).toBe(200);
    expect((await h.app.request('/readyz')).status).toBe(200);
    const doc = (await (await h.app.request('/openapi.json')).json()) as { paths: Record<string, unknown> };
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining([
        '/v1/evaluate',
        '/v1/jobs',
        '/v1/result/{id}',
        '/v1/upload',
        '/v1/jobs/{id}',
        '/v1/uploads/{id}',
      ]),
    );
    const docs = await h.app.request('/docs');
    expect(docs.status).toBe(200);
    expect(docs.headers.get('content-type')).toContain('text/html');
  });
});

describe('submit API: every bad input has a defined answer', () => {
  const files = async (cv: Uint8Array | string, name = 'cv.pdf') =>
    h.app.request('/v1/upload', {
      method: 'POST',
      headers: auth(h.keyA),
      body: uploadForm({ cv: { bytes: cv, name }, project: { bytes: reportText, name: 'r.txt' } }),
    });

  it('malformed JSON → 400', async () => {
    await expectProblem(await evaluateRequest(h.keyA, '{"cv_id": '), 400, 'MALFORMED_JSON');
  });
  it('wrong content type → 415', async () => {
    await expectProblem(
      await evaluateRequest(h.keyA, 'cv_id=1', 'k', 'text/plain'),
      415,
      'UNSUPPORTED_CONTENT_TYPE',
    );
    const res = await h.app.request('/v1/upload', {
      method: 'POST',
      headers: { ...auth(h.keyA), 'content-type': 'application/json' },
      body: '{}',
    });
    await expectProblem(res, 415, 'UNSUPPORTED_CONTENT_TYPE');
  });
  it('missing or extra fields → 422', async () => {
    const { body: up } = await upload(h.keyA);
    await expectProblem(await evaluateRequest(h.keyA, { cv_id: up.cv_id }), 422, 'VALIDATION_FAILED');
    await expectProblem(
      await evaluateRequest(h.keyA, { cv_id: up.cv_id, project_id: up.project_id, admin: true }),
      422,
      'VALIDATION_FAILED',
    );
    const noProject = await h.app.request('/v1/upload', {
      method: 'POST',
      headers: auth(h.keyA),
      body: uploadForm({ cv: { bytes: cvText, name: 'cv.txt' } }),
    });
    expect(await expectProblem(noProject, 422, 'MISSING_FILE')).toMatchObject({ field: 'project' });
    const extra = await h.app.request('/v1/upload', {
      method: 'POST',
      headers: auth(h.keyA),
      body: uploadForm(
        { cv: { bytes: cvText, name: 'a' }, project: { bytes: reportText, name: 'b' } },
        { note: 'x' },
      ),
    });
    await expectProblem(extra, 422, 'UNEXPECTED_FIELD');
  });
  it('a missing Idempotency-Key → 400', async () => {
    const { body: up } = await upload(h.keyA);
    await expectProblem(
      await evaluateRequest(h.keyA, { cv_id: up.cv_id, project_id: up.project_id }, null),
      400,
      'IDEMPOTENCY_KEY_MISSING',
    );
  });
  it('an oversized file → 413, naming its field', async () => {
    const problem = await expectProblem(
      await files('x'.repeat(UPLOAD_LIMIT + 1), 'big.txt'),
      413,
      'FILE_TOO_LARGE',
    );
    expect(problem).toMatchObject({ field: 'cv' });
  });
  it('a PNG renamed .pdf → 415', async () => {
    await expectProblem(await files(PNG_BYTES, 'cv.pdf'), 415, 'UNSUPPORTED_MEDIA_TYPE');
  });
  it('a corrupt PDF → 422', async () => {
    await expectProblem(await files(CORRUPT_PDF), 422, 'CORRUPT_FILE');
  });
  it('an encrypted PDF → 422', async () => {
    await expectProblem(await files(await makeEncryptedPdf()), 422, 'ENCRYPTED_FILE');
  });
  it('a DOCX zip bomb → 422', async () => {
    await expectProblem(await files(await makeDocxZipBomb(40), 'cv.docx'), 422, 'ZIP_BOMB');
  });
  it('an empty file → 422', async () => {
    await expectProblem(await files(new Uint8Array(), 'cv.txt'), 422, 'EMPTY_FILE');
  });
  it('unknown ids → 404', async () => {
    const { body: up } = await upload(h.keyA);
    await expectProblem(
      await evaluateRequest(h.keyA, { cv_id: crypto.randomUUID(), project_id: up.project_id }),
      404,
      'UPLOAD_NOT_FOUND',
    );
    await expectProblem(
      await h.app.request(`/v1/result/${crypto.randomUUID()}`, { headers: auth(h.keyA) }),
      404,
      'JOB_NOT_FOUND',
    );
    await expectProblem(
      await h.app.request('/v1/result/not-a-uuid', { headers: auth(h.keyA) }),
      404,
      'JOB_NOT_FOUND',
    );
  });
  it("another client's ids → 404, never its data", async () => {
    const { body: up } = await upload(h.keyA);
    await expectProblem(
      await evaluateRequest(h.keyB, { cv_id: up.cv_id, project_id: up.project_id }),
      404,
      'UPLOAD_NOT_FOUND',
    );
    const res = await evaluateRequest(h.keyA, { cv_id: up.cv_id, project_id: up.project_id });
    const { id } = (await res.json()) as { id: string };
    await expectProblem(
      await h.app.request(`/v1/result/${id}`, { headers: auth(h.keyB) }),
      404,
      'JOB_NOT_FOUND',
    );
  });
  it('a cv id given as project id → 422', async () => {
    const { body: up } = await upload(h.keyA);
    await expectProblem(
      await evaluateRequest(h.keyA, { cv_id: up.project_id, project_id: up.cv_id }),
      422,
      'WRONG_UPLOAD_KIND',
    );
  });
  it('no key, a wrong key → 401', async () => {
    const none = await h.app.request('/v1/jobs');
    await expectProblem(none, 401, 'UNAUTHENTICATED');
    expect(none.headers.get('www-authenticate')).toMatch(/Bearer/);
    await expectProblem(
      await h.app.request('/v1/jobs', { headers: auth('cve_wrong') }),
      401,
      'INVALID_API_KEY',
    );
  });
  it('SQL-looking strings are data, not code', async () => {
    const { body: up } = await upload(h.keyA);
    const evil = "'; drop table jobs; --";
    const res = await evaluateRequest(
      h.keyA,
      { cv_id: up.cv_id, project_id: up.project_id, job_description: evil },
      "' OR 1=1 --",
    );
    expect(res.status).toBe(202);
    const { id } = (await res.json()) as { id: string };
    const [row] = await h.db.execute<{ job_description: string }>(
      sql`select job_description from jobs where id = ${id}`,
    );
    expect(row?.job_description).toBe(evil);
    await expectProblem(
      await h.app.request("/v1/result/1'%20or%20'1'='1", { headers: auth(h.keyA) }),
      404,
      'JOB_NOT_FOUND',
    );
  });
  it('a 1 MB unicode string → 422 (fields are limited), nothing stored', async () => {
    const { body: up } = await upload(h.keyA);
    const key = `big-${crypto.randomUUID()}`;
    const res = await evaluateRequest(
      h.keyA,
      { cv_id: up.cv_id, project_id: up.project_id, job_description: 'é🚀'.repeat(350_000) },
      key,
    );
    const problem = await expectProblem(res, 422, 'VALIDATION_FAILED');
    expect(problem.detail).toBeTruthy();
    const rows = await h.db.execute(sql`select 1 from jobs where idempotency_key = ${key}`);
    expect(rows.length).toBe(0);
  });
  it('the same key with a different body → 422', async () => {
    const { body: up } = await upload(h.keyA);
    const key = `reuse-${crypto.randomUUID()}`;
    expect((await evaluateRequest(h.keyA, { cv_id: up.cv_id, project_id: up.project_id }, key)).status).toBe(
      202,
    );
    await expectProblem(
      await evaluateRequest(
        h.keyA,
        { cv_id: up.cv_id, project_id: up.project_id, job_description: 'other' },
        key,
      ),
      422,
      'IDEMPOTENCY_KEY_REUSED',
    );
  });
  it('keys are per client: the same key from another client is another job', async () => {
    const a = await upload(h.keyA);
    const b = await upload(h.keyB);
    const key = `shared-${crypto.randomUUID()}`;
    const ra = (await (
      await evaluateRequest(h.keyA, { cv_id: a.body.cv_id, project_id: a.body.project_id }, key)
    ).json()) as { id: string };
    const rb = (await (
      await evaluateRequest(h.keyB, { cv_id: b.body.cv_id, project_id: b.body.project_id }, key)
    ).json()) as { id: string };
    expect(ra.id).not.toBe(rb.id);
  });
  it('an unknown route → 404 problem', async () => {
    await expectProblem(await h.app.request('/v2/nothing'), 404, 'ROUTE_NOT_FOUND');
  });
});

describe('submit API: multipart bodies cut short, and file names', () => {
  const MULTIPART_ROUTES = ['/v1/upload', '/v1/uploads/bulk'] as const;
  const storedBy = async (clientId: string) =>
    (
      await h.db.execute<{ n: number }>(
        sql`select count(*)::int as n from uploads where client_id = ${clientId}::uuid`,
      )
    )[0]!.n;
  const rawMultipart = (path: string, key: string, body: BodyInit, headers: Record<string, string> = {}) =>
    h.app.request(path, {
      method: 'POST',
      headers: { ...auth(key), 'content-type': 'multipart/form-data; boundary=xyz', ...headers },
      body,
      duplex: 'half',
    } as RequestInit);
  const SECRET = 'hello-secret-cv-bytes';
  const cvPart = (name = 'cv', filename = 'a.txt') =>
    `--xyz\r\nContent-Disposition: form-data; name="${name}"; filename="${filename}"\r\n\r\n${SECRET}`;

  it('a body without its closing boundary → 400 MALFORMED_MULTIPART on both routes, nothing stored', async () => {
    const client = await createClient(h.db, `truncated-${crypto.randomUUID().slice(0, 8)}`);
    const bodies = [
      // the tester's repro: one file, cut off inside its content
      cvPart(),
      // a complete first file, the second cut off
      `${cvPart()}\r\n${cvPart('project', 'p.txt')}`,
      // cut off right after a part's headers
      '--xyz\r\nContent-Disposition: form-data; name="cv"; filename="a.txt"\r\n\r\n',
    ];
    for (const path of MULTIPART_ROUTES) {
      for (const body of bodies) {
        const problem = await expectProblem(
          await rawMultipart(path, client.apiKey, body),
          400,
          'MALFORMED_MULTIPART',
        );
        expect(JSON.stringify(problem)).not.toContain(SECRET);
      }
    }
    expect(await storedBy(client.id)).toBe(0);
  });

  it('a body stream the client cut off → 400 MALFORMED_MULTIPART; a body stream failing otherwise → 500', async () => {
    const client = await createClient(h.db, `aborted-${crypto.randomUUID().slice(0, 8)}`);
    const failing = (err: Error) =>
      new ReadableStream<Uint8Array>({
        start(c) {
          c.enqueue(new TextEncoder().encode(cvPart()));
        },
        pull(c) {
          c.error(err);
        },
      });
    // a declared length: the body streams into the parser (limitBody reads a chunked one itself first)
    const declared = { 'content-length': '4096' };
    for (const path of MULTIPART_ROUTES) {
      // what @hono/node-server's body stream fails with when the client goes away mid-body
      const aborted = Object.assign(new Error('aborted'), { code: 'ECONNRESET' });
      const problem = await expectProblem(
        await rawMultipart(path, client.apiKey, failing(aborted), declared),
        400,
        'MALFORMED_MULTIPART',
      );
      expect(JSON.stringify(problem)).not.toContain(SECRET);
      // not the client's doing: stays a 500
      await expectProblem(
        await rawMultipart(path, client.apiKey, failing(new Error('disk on fire')), declared),
        500,
        'INTERNAL_ERROR',
      );
    }
    expect(await storedBy(client.id)).toBe(0);
  });

  it('a UTF-8 file name round-trips exactly, raw (browsers, curl) or as RFC 7578 filename*', async () => {
    const name = 'Lebenslauf_Müller_简历.txt';
    const res = await h.app.request('/v1/upload', {
      method: 'POST',
      headers: auth(h.keyA),
      body: uploadForm({
        cv: { bytes: cvText, name },
        project: { bytes: reportText, name: 'Projektbericht_Ærø_🚀.txt' },
      }),
    });
    expect(res.status).toBe(201);
    const body = (await res.json()) as {
      cv_id: string;
      files: { cv: { filename: string }; project: { filename: string } };
    };
    expect(body.files.cv.filename).toBe(name);
    expect(body.files.project.filename).toBe('Projektbericht_Ærø_🚀.txt');
    const [row] = await h.db.execute<{ filename: string }>(
      sql`select filename from uploads where id = ${body.cv_id}::uuid`,
    );
    expect(row?.filename).toBe(name);

    const encoded = "filename*=UTF-8''Lebenslauf_M%C3%BCller_%E7%AE%80%E5%8E%86.txt";
    const star = await rawMultipart(
      '/v1/upload',
      h.keyA,
      `--xyz\r\nContent-Disposition: form-data; name="cv"; ${encoded}\r\n\r\n${cvText}\r\n` +
        `--xyz\r\nContent-Disposition: form-data; name="project"; filename="${name}"\r\n\r\n${reportText}\r\n--xyz--\r\n`,
    );
    expect(star.status).toBe(201);
    const starBody = (await star.json()) as {
      files: { cv: { filename: string }; project: { filename: string } };
    };
    expect(starBody.files.cv.filename).toBe(name);
    expect(starBody.files.project.filename).toBe(name);
  });

  it('file names lose C0, DEL, C1 and bidi override characters, on both routes', async () => {
    // busboy refuses raw C0 and DEL in a header (400) but a tab passes, and filename* can encode any
    const hostile = 'cv\t\u0085\u009F\u202A\u202B\u202C\u202D\u202E\u2066\u2067\u2068\u2069.txt';
    const res = await h.app.request('/v1/upload', {
      method: 'POST',
      headers: auth(h.keyA),
      body: uploadForm({
        cv: { bytes: cvText, name: hostile },
        project: { bytes: reportText, name: '\u0085\u202E\u2069' },
      }),
    });
    expect(res.status).toBe(201);
    const body = (await res.json()) as { files: { cv: { filename: string }; project: { filename: string } } };
    expect(body.files.cv.filename).toBe('cv.txt');
    // nothing left: the field name stands in
    expect(body.files.project.filename).toBe('project');

    // U+202E would show "cv\u202Etxt.exe" as "cvexe.txt"
    const client = await createClient(h.db, `names-${crypto.randomUUID().slice(0, 8)}`);
    const bulk = await rawMultipart(
      '/v1/uploads/bulk',
      client.apiKey,
      `--xyz\r\nContent-Disposition: form-data; name="cv"; filename*=UTF-8''cv%00%01%7F%C2%85%E2%80%AEtxt.exe\r\n\r\n${cvText}\r\n` +
        `--xyz\r\nContent-Disposition: form-data; name="project"; filename="p\u009F\u2066.txt"\r\n\r\n${reportText}\r\n--xyz--\r\n`,
    );
    expect(bulk.status).toBe(201);
    const names = await h.db.execute<{ filename: string }>(
      sql`select filename from uploads where client_id = ${client.id}::uuid order by kind`,
    );
    expect(names.map((r) => r.filename)).toEqual(['cvtxt.exe', 'p.txt']);
  });
});

describe('submit API: idempotency under concurrency and an unavailable broker', () => {
  it('50 concurrent identical requests with one key → one job row, one request record under read_committed', async () => {
    const { body: up } = await upload(h.keyA);
    const key = `race-${crypto.randomUUID()}`;
    const body = { cv_id: up.cv_id, project_id: up.project_id };
    const responses = await Promise.all(Array.from({ length: 50 }, () => evaluateRequest(h.keyA, body, key)));
    const statuses = responses.map((r) => r.status);
    expect(statuses.every((s) => s === 202 || s === 409)).toBe(true);
    const accepted = await Promise.all(
      responses.filter((r) => r.status === 202).map((r) => r.json() as Promise<{ id: string }>),
    );
    expect(accepted.length).toBeGreaterThanOrEqual(1);
    const ids = new Set(accepted.map((a) => a.id));
    expect(ids.size).toBe(1);
    const [id] = [...ids];
    const rows = await h.db.execute(sql`select id from jobs where idempotency_key = ${key}`);
    expect(rows.length).toBe(1);
    const records = await drainTopic(stack.kafka, h.topics.jobs, { settleMs: 1500 });
    expect(records.filter((r) => r.key === id)).toHaveLength(1);
  });

  it('broker unavailable → 503 with Retry-After; no job lost: the sweeper publishes it once Kafka answers', async () => {
    const { body: up } = await upload(h.keyA);
    h.setPublish(() => Promise.reject(new Error('KafkaJSConnectionError: connect ECONNREFUSED')));
    const key = `down-${crypto.randomUUID()}`;
    const res = await evaluateRequest(h.keyA, { cv_id: up.cv_id, project_id: up.project_id }, key);
    const problem = (await expectProblem(res, 503, 'QUEUE_UNAVAILABLE')) as unknown as { id: string };
    expect(res.headers.get('retry-after')).toBe('5');
    h.setPublish(undefined);
    const [row] = await h.db.execute<{ id: string; published_at: Date | null }>(
      sql`select id, published_at from jobs where idempotency_key = ${key}`,
    );
    expect(row?.published_at).toBeNull();
    expect(row?.id).toBe(problem.id);

    const swept = await sweepUnpublished({
      db: h.db,
      publish: (r) => h.publisher.publish(r),
      jobsTopic: h.topics.jobs,
      publishing: loadConfig({}).publish,
      olderThanMs: 0,
    });
    expect(swept).toBeGreaterThanOrEqual(1);
    const records = await drainTopic(stack.kafka, h.topics.jobs, { settleMs: 1000 });
    expect(records.filter((r) => r.key === row!.id)).toHaveLength(1);
    const [after] = await h.db.execute<{ published_at: Date | null }>(
      sql`select published_at from jobs where id = ${row!.id}`,
    );
    expect(after?.published_at).not.toBeNull();
    // A retry with the same key now replays the accepted job.
    const retry = await evaluateRequest(h.keyA, { cv_id: up.cv_id, project_id: up.project_id }, key);
    expect(retry.status).toBe(202);
    expect(((await retry.json()) as { id: string }).id).toBe(row!.id);
  });

  it('a client retry after a 503 publishes the job itself', async () => {
    const { body: up } = await upload(h.keyA);
    h.setPublish(() => Promise.reject(new Error('broker down')));
    const key = `retry-${crypto.randomUUID()}`;
    const body = { cv_id: up.cv_id, project_id: up.project_id };
    expect((await evaluateRequest(h.keyA, body, key)).status).toBe(503);
    h.setPublish(undefined);
    const retry = await evaluateRequest(h.keyA, body, key);
    expect(retry.status).toBe(202);
    const { id } = (await retry.json()) as { id: string };
    const records = await drainTopic(stack.kafka, h.topics.jobs, { settleMs: 1000 });
    expect(records.filter((r) => r.key === id)).toHaveLength(1);
  });
});
