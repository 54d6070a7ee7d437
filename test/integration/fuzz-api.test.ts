// Property-based tests (fast-check, fixed seed, bounded runs) on the upload and evaluate routes with the
// real PostgreSQL and broker: random multipart bodies, JSON, headers and files. Whatever arrives, the
// answer is never a 5xx, every refusal is problem+json with a catalog code, a refusal stores nothing,
// and /healthz keeps answering.
import { sql } from 'drizzle-orm';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClient } from '../../lib/db/api-clients.ts';
import { apiErrorCodes } from '../../lib/errors.ts';
import { type ApiHarness, apiHarness } from '../helpers/api.ts';
import { makeDocx, makePdf } from '../helpers/documents.ts';
import { isolatedStack } from '../helpers/isolation.ts';

const SEED = 1313;
const stack = await isolatedStack('fuzz-api');
let h: ApiHarness;
let key: string;
let clientId: string;
let valid: { cv_id: string; project_id: string };
let samples: Uint8Array[];
const slowest = { healthzMs: 0 };

beforeAll(async () => {
  h = await apiHarness(stack, { uploadMaxBytes: 64 * 1024 });
  const c = await createClient(h.db, 'fuzz');
  key = c.apiKey;
  clientId = c.id;
  samples = [
    await makePdf(['Jane Doe', 'Kafka and PostgreSQL']),
    await makeDocx(['Project report', 'retries with backoff']),
    new TextEncoder().encode('Plain text CV: TypeScript, Kafka.'),
  ];
  const form = new FormData();
  form.append('cv', new Blob([samples[2] as BlobPart]), 'cv.txt');
  form.append('project', new Blob([samples[2] as BlobPart]), 'p.txt');
  const res = await h.app.request('/v1/upload', {
    method: 'POST',
    headers: { authorization: `Bearer ${key}` },
    body: form,
  });
  const body = (await res.json()) as { cv_id: string; project_id: string };
  valid = { cv_id: body.cv_id, project_id: body.project_id };
});
afterAll(async () => {
  await h?.close();
});

const count = async (table: 'uploads' | 'jobs') =>
  Number(
    (
      (
        await h.db.execute(sql.raw(`select count(*)::int as n from ${table} where client_id = '${clientId}'`))
      )[0] as {
        n: number;
      }
    ).n,
  );

async function checkAnswer(res: Response) {
  expect(res.status).toBeLessThan(500);
  if (res.status >= 400) {
    expect(res.headers.get('content-type')).toBe('application/problem+json');
    const body = (await res.json()) as { code: string; status: number };
    expect(apiErrorCodes).toContain(body.code);
    expect(body.status).toBe(res.status);
  } else {
    await res.arrayBuffer();
  }
}

async function healthz() {
  const t0 = performance.now();
  const res = await h.app.request('/healthz');
  slowest.healthzMs = Math.max(slowest.healthzMs, performance.now() - t0);
  expect(res.status).toBe(200);
}

// Header values a client can actually send (the Fetch API refuses CR, LF and NUL itself).
const headerValue = fc.string({ maxLength: 80 }).map((s) => s.replace(/[\r\n\0]/g, ''));
const fileBytes = fc.oneof(
  fc.uint8Array({ maxLength: 2048 }),
  fc.string({ unit: 'grapheme', maxLength: 300 }).map((s) => new TextEncoder().encode(s)),
  fc.constantFrom(...[0, 1, 2]).map((i) => samples[i]!),
  // a real document with random bytes flipped: the parsers' error paths
  fc
    .tuple(
      fc.constantFrom(0, 1),
      fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 20 }),
    )
    .map(([i, flips]) => {
      const b = new Uint8Array(samples[i]!);
      for (const [at, v] of flips) b[at % b.length] = v;
      return b;
    }),
);
const fieldName = fc.oneof(fc.constantFrom('cv', 'project'), fc.string({ maxLength: 12 }));
const part = fc.record({
  field: fieldName,
  bytes: fileBytes,
  filename: fc.option(
    fc.oneof(
      fc.string({ unit: 'binary', maxLength: 40 }),
      // control characters, NUL included, inside otherwise ordinary names
      fc
        .tuple(fc.string({ maxLength: 8 }), fc.integer({ min: 0, max: 31 }))
        .map(([s, c]) => `${s}${String.fromCharCode(c)}.txt`),
    ),
    { nil: undefined },
  ),
  type: fc.option(fc.constantFrom('application/pdf', 'text/plain', 'application/octet-stream', 'x/y'), {
    nil: undefined,
  }),
});

describe('fuzzing the API', () => {
  it('POST /v1/upload: random multipart forms and raw bodies', async () => {
    const statuses = new Set<number>();
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.array(part, { maxLength: 4 }).map((parts) => ({ kind: 'form' as const, parts })),
          // the two expected fields, with random files and names: these reach the sandbox and the database
          fc.tuple(part, part).map(([cv, project]) => ({
            kind: 'form' as const,
            parts: [
              { ...cv, field: 'cv' },
              { ...project, field: 'project' },
            ],
          })),
          fc.record({
            kind: fc.constant('raw' as const),
            body: fc.uint8Array({ maxLength: 1024 }),
            boundary: headerValue,
          }),
        ),
        async (input) => {
          const before = await count('uploads');
          let res: Response;
          if (input.kind === 'form') {
            const form = new FormData();
            for (const p of input.parts) {
              const blob = new Blob([p.bytes as BlobPart], p.type ? { type: p.type } : {});
              if (p.filename === undefined) form.append(p.field, blob);
              else form.append(p.field, blob, p.filename);
            }
            res = await h.app.request('/v1/upload', {
              method: 'POST',
              headers: { authorization: `Bearer ${key}` },
              body: form,
            });
          } else {
            let request: Request;
            try {
              request = new Request('http://x/v1/upload', {
                method: 'POST',
                headers: {
                  authorization: `Bearer ${key}`,
                  'content-type': `multipart/form-data; boundary=${input.boundary}`,
                },
                body: input.body as BodyInit,
              });
            } catch {
              return; // not something a client can send
            }
            res = await h.app.request(request);
          }
          const status = res.status;
          statuses.add(status);
          await checkAnswer(res);
          expect(await count('uploads')).toBe(status === 201 ? before + 2 : before);
          await healthz();
        },
      ),
      { seed: SEED, numRuns: 80, endOnFailure: true },
    );
    // the fuzzer reached both the storing path and the sandbox's refusals
    expect(statuses.has(201)).toBe(true);
    expect(statuses.has(422)).toBe(true);
  });

  it('POST /v1/evaluate: random JSON, headers and overrides', async () => {
    const jsonBody = fc.oneof(
      // a valid body now and then, so the accepting path is exercised under random headers
      fc.constant(null).map(() => JSON.stringify(valid)),
      fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.stringify(v)),
      fc
        .record(
          {
            cv_id: fc.oneof(fc.constant(valid.cv_id), fc.uuid(), fc.string({ maxLength: 10 })),
            project_id: fc.oneof(fc.constant(valid.project_id), fc.constant(valid.cv_id), fc.uuid()),
            job_description: fc.string({ unit: 'binary', maxLength: 200 }),
            scoring_rubric: fc.oneof(fc.string({ maxLength: 50 }), fc.integer(), fc.constant(null)),
          },
          { requiredKeys: [] },
        )
        .map((v) => JSON.stringify(v)),
      fc.string({ unit: 'binary', maxLength: 200 }),
    );
    await fc.assert(
      fc.asyncProperty(
        jsonBody,
        fc.option(headerValue, { nil: undefined }),
        fc.constantFrom('application/json', 'application/json; charset=utf-8', 'text/plain', ''),
        // half the time the real key, half a random Authorization header
        fc.option(headerValue, { nil: undefined, freq: 1 }),
        async (body, idem, contentType, authorization) => {
          const before = await count('jobs');
          let request: Request;
          try {
            request = new Request('http://x/v1/evaluate', {
              method: 'POST',
              headers: {
                authorization: authorization ?? `Bearer ${key}`,
                ...(contentType ? { 'content-type': contentType } : {}),
                ...(idem !== undefined ? { 'idempotency-key': idem } : {}),
              },
              body,
            });
          } catch {
            return;
          }
          const res = await h.app.request(request);
          const status = res.status;
          await checkAnswer(res);
          if (status !== 202) expect(await count('jobs')).toBe(before);
          await healthz();
        },
      ),
      { seed: SEED, numRuns: 150, endOnFailure: true },
    );
    // the fuzzer did reach the accepting path at least once
    expect(await count('jobs')).toBeGreaterThan(0);
    process.stderr.write(`fuzz: slowest /healthz ${Math.round(slowest.healthzMs)} ms\n`);
  });
});
