// Positions on the real broker and PostgreSQL: versioning, a 100-candidate batch accepted as one
// (one request-side Kafka transaction) and replayed, a refused batch storing nothing, bulk upload with
// per-file refusals, and the ranking's order, filters, pagination and CSV.
import { randomUUID } from 'node:crypto';
import { eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadJobTexts } from '../../lib/db/effects.ts';
import { evaluationBatches, jobs, results } from '../../lib/db/schema.ts';
import { type ApiHarness, apiHarness, uploadForm } from '../helpers/api.ts';
import { makeDocxInflating } from '../helpers/documents.ts';
import { isolatedStack } from '../helpers/isolation.ts';
import { drainTopic } from '../helpers/kafka.ts';

const stack = await isolatedStack('positions');
let h: ApiHarness;
beforeAll(async () => {
  h = await apiHarness(stack);
});
afterAll(async () => {
  await h?.close();
});

const auth = (key: string, extra: Record<string, string> = {}) => ({
  authorization: `Bearer ${key}`,
  ...extra,
});
const post = (path: string, body: unknown, key = h.keyA, headers: Record<string, string> = {}) =>
  h.app.request(path, {
    method: 'POST',
    headers: auth(key, { 'content-type': 'application/json', ...headers }),
    body: JSON.stringify(body),
  });
const get = (path: string, key = h.keyA, headers: Record<string, string> = {}) =>
  h.app.request(path, { headers: auth(key, headers) });

/** n CV/project pairs stored through the bulk upload. */
async function uploadPairs(n: number, key = h.keyA) {
  const files: Record<string, { bytes: string; name: string; type: string }>[] = [];
  const form = new FormData();
  for (let i = 0; i < n; i++) {
    form.append(
      'cv',
      new Blob([`CV of candidate ${i}: TypeScript, PostgreSQL, Kafka.`], { type: 'text/plain' }),
      `cv${i}.txt`,
    );
    form.append(
      'project',
      new Blob([`Project ${i}: retries, idempotency, README.`], { type: 'text/plain' }),
      `p${i}.txt`,
    );
  }
  void files;
  const res = await h.app.request('/v1/uploads/bulk', { method: 'POST', headers: auth(key), body: form });
  expect(res.status).toBe(201);
  const body = (await res.json()) as { accepted: { index: number; cv_id: string; project_id: string }[] };
  return body.accepted.map(({ cv_id, project_id }) => ({ cv_id, project_id }));
}

async function newPosition(title = 'Backend engineer', key = h.keyA) {
  const res = await post('/v1/positions', { title }, key);
  expect(res.status).toBe(201);
  return (await res.json()) as { id: string; version: number; job_description: string };
}

describe('positions', () => {
  it('edits create versions; jobs record theirs; archived positions keep history; other clients see nothing', async () => {
    const p = await newPosition();
    expect(p.version).toBe(1);
    expect(p.job_description).toMatch(/\S/); // the shipped default
    const etag1 = (await get(`/v1/positions/${p.id}`)).headers.get('etag')!;

    const patch = (body: unknown, headers: Record<string, string> = {}) =>
      h.app.request(`/v1/positions/${p.id}`, {
        method: 'PATCH',
        headers: auth(h.keyA, { 'content-type': 'application/json', ...headers }),
        body: JSON.stringify(body),
      });
    const v2 = await patch(
      { job_description: 'Senior backend engineer, Kafka and PostgreSQL.' },
      { 'if-match': etag1 },
    );
    expect(v2.status).toBe(200);
    expect(((await v2.json()) as { version: number }).version).toBe(2);
    // an edit based on a stale read is refused, and nothing changes
    const stale = await patch({ title: 'Stale' }, { 'if-match': etag1 });
    expect(stale.status).toBe(412);
    expect(((await stale.json()) as { code: string }).code).toBe('POSITION_VERSION_MISMATCH');
    // an edit that changes nothing adds no version
    expect(
      (
        (await (
          await patch({ job_description: 'Senior backend engineer, Kafka and PostgreSQL.' })
        ).json()) as { version: number }
      ).version,
    ).toBe(2);

    const [pair] = await uploadPairs(1);
    const batch = await post(`/v1/positions/${p.id}/evaluations`, { candidates: [pair] }, h.keyA, {
      'idempotency-key': randomUUID(),
    });
    expect(batch.status).toBe(202);
    const accepted = (await batch.json()) as { position_version: number; jobs: { id: string }[] };
    expect(accepted.position_version).toBe(2);
    // the evaluator reads the texts of the version the job recorded, even after later edits
    await patch({ job_description: 'Version three text.' });
    const loaded = await loadJobTexts(h.db, [accepted.jobs[0]!.id]);
    expect(loaded.get(accepted.jobs[0]!.id)!.jobDescription).toBe(
      'Senior backend engineer, Kafka and PostgreSQL.',
    );

    const old = (await (await get(`/v1/positions/${p.id}?version=1`)).json()) as {
      version: number;
      job_description: string;
    };
    expect(old.version).toBe(1);
    expect(old.job_description).toBe(p.job_description);

    expect((await get(`/v1/positions/${p.id}`, h.keyB)).status).toBe(404);
    expect(
      (await h.app.request(`/v1/positions/${p.id}`, { method: 'DELETE', headers: auth(h.keyB) })).status,
    ).toBe(404);
    expect(
      (await h.app.request(`/v1/positions/${p.id}`, { method: 'DELETE', headers: auth(h.keyA) })).status,
    ).toBe(204);
    const archived = (await (await get(`/v1/positions/${p.id}`)).json()) as {
      archived: boolean;
      versions: { version: number }[];
    };
    expect(archived.archived).toBe(true);
    expect(archived.versions.map((v) => v.version)).toEqual([1, 2, 3]);
    const listed = (await (await get('/v1/positions')).json()) as { items: { id: string }[] };
    expect(listed.items.map((i) => i.id)).not.toContain(p.id);
    const refused = await post(`/v1/positions/${p.id}/evaluations`, { candidates: [pair] }, h.keyA, {
      'idempotency-key': randomUUID(),
    });
    expect(refused.status).toBe(409);
  });

  it("GET /v1/jobs?position_id= lists that position's jobs only, and only the caller's", async () => {
    const [p1, p2] = [await newPosition('Filter one'), await newPosition('Filter two')];
    const [a, b, c] = await uploadPairs(3);
    const evaluateFor = async (positionId: string, pair: typeof a) => {
      const res = await post(`/v1/positions/${positionId}/evaluations`, { candidates: [pair] }, h.keyA, {
        'idempotency-key': randomUUID(),
      });
      expect(res.status).toBe(202);
      return ((await res.json()) as { jobs: { id: string }[] }).jobs[0]!.id;
    };
    const one = await evaluateFor(p1.id, a);
    const two = await evaluateFor(p2.id, b);
    const adHoc = await post('/v1/evaluate', c, h.keyA, { 'idempotency-key': randomUUID() });
    expect(adHoc.status).toBe(202);
    const adHocId = ((await adHoc.json()) as { id: string }).id;
    const list = async (query: string, key = h.keyA) =>
      (await (await get(`/v1/jobs?${query}`, key)).json()) as {
        items: { id: string; position_id: string | null }[];
      };
    expect((await list(`position_id=${p1.id}`)).items).toMatchObject([{ id: one, position_id: p1.id }]);
    expect((await list(`position_id=${p2.id}&status=queued`)).items.map((j) => j.id)).toEqual([two]);
    expect((await list(`position_id=${p2.id}&status=completed`)).items).toEqual([]);
    const all = (await list('limit=100')).items;
    expect(all.find((j) => j.id === one)?.position_id).toBe(p1.id);
    expect(all.find((j) => j.id === adHocId)?.position_id).toBeNull();
    expect((await list(`position_id=${p1.id}`, h.keyB)).items).toEqual([]);
    expect((await get('/v1/jobs?position_id=not-a-uuid')).status).toBe(422);
  });

  it('a 100-candidate batch is accepted in one Kafka transaction, and a replay returns the same job ids', async () => {
    const p = await newPosition('Batch');
    const candidates = await uploadPairs(100);
    const key = randomUUID();
    const txBefore = h.publisher.stats.transactions;
    const first = await post(`/v1/positions/${p.id}/evaluations`, { candidates }, h.keyA, {
      'idempotency-key': key,
    });
    expect(first.status).toBe(202);
    const a = (await first.json()) as { batch_id: string; jobs: { id: string; cv_id: string }[] };
    expect(a.jobs).toHaveLength(100);
    expect(a.jobs.map((j) => j.cv_id)).toEqual(candidates.map((c) => c.cv_id));
    expect(h.publisher.stats.transactions - txBefore).toBe(1);

    const replay = await post(`/v1/positions/${p.id}/evaluations`, { candidates }, h.keyA, {
      'idempotency-key': key,
    });
    expect(replay.status).toBe(202);
    expect(replay.headers.get('idempotent-replayed')).toBe('true');
    expect(((await replay.json()) as typeof a).jobs.map((j) => j.id)).toEqual(a.jobs.map((j) => j.id));
    expect(h.publisher.stats.transactions - txBefore).toBe(1); // nothing republished

    const reused = await post(
      `/v1/positions/${p.id}/evaluations`,
      { candidates: candidates.slice(1) },
      h.keyA,
      {
        'idempotency-key': key,
      },
    );
    expect(reused.status).toBe(422);

    const records = await drainTopic(stack.kafka, h.topics.jobs, { expected: 101, settleMs: 1000 });
    const ids = new Set(a.jobs.map((j) => j.id));
    const mine = records.filter((r) => ids.has(r.key!));
    expect(mine).toHaveLength(100);
    const published = await h.db
      .select({ n: sql<number>`count(*)::int` })
      .from(jobs)
      .where(eq(jobs.batchId, a.batch_id));
    expect(published[0]!.n).toBe(100);
  });

  it('a batch whose publish fails is refused as one and published whole by the replay', async () => {
    const p = await newPosition('Flaky queue');
    const candidates = await uploadPairs(5);
    const key = randomUUID();
    h.setPublish(async () => {
      throw new Error('broker unreachable');
    });
    const down = await post(`/v1/positions/${p.id}/evaluations`, { candidates }, h.keyA, {
      'idempotency-key': key,
    });
    h.setPublish(undefined);
    expect(down.status).toBe(503);
    const txBefore = h.publisher.stats.transactions;
    const replay = await post(`/v1/positions/${p.id}/evaluations`, { candidates }, h.keyA, {
      'idempotency-key': key,
    });
    expect(replay.status).toBe(202);
    expect(h.publisher.stats.transactions - txBefore).toBe(1);
    const unpublished = await h.db.execute<{ n: number }>(
      sql`select count(*)::int as n from jobs where published_at is null and batch_id = (select id from evaluation_batches where idempotency_key = ${key})`,
    );
    expect([...unpublished][0]!.n).toBe(0);
  });

  it('one bad candidate refuses the whole batch and stores nothing', async () => {
    const p = await newPosition('Strict');
    const candidates = await uploadPairs(3);
    const [other] = await uploadPairs(1, h.keyB); // another client's upload
    const swapped = { cv_id: candidates[0]!.project_id, project_id: candidates[0]!.cv_id };
    const key = randomUUID();
    const res = await post(
      `/v1/positions/${p.id}/evaluations`,
      { candidates: [...candidates, other, swapped] },
      h.keyA,
      { 'idempotency-key': key },
    );
    expect(res.status).toBe(422);
    const body = (await res.json()) as { code: string; errors: { index: number; code: string }[] };
    expect(body.code).toBe('BATCH_REFUSED');
    expect(body.errors.map((e) => `${e.index}:${e.code}`).sort()).toEqual(
      ['3:UPLOAD_NOT_FOUND', '3:UPLOAD_NOT_FOUND', '4:WRONG_UPLOAD_KIND', '4:WRONG_UPLOAD_KIND'].sort(),
    );
    const stored = await h.db
      .select()
      .from(evaluationBatches)
      .where(eq(evaluationBatches.idempotencyKey, key));
    expect(stored).toHaveLength(0);
    const tooMany = await post(
      `/v1/positions/${p.id}/evaluations`,
      { candidates: Array.from({ length: 101 }, () => candidates[0]) },
      h.keyA,
      { 'idempotency-key': randomUUID() },
    );
    expect(tooMany.status).toBe(422);
  });

  it('bulk upload stores the good pairs and reports each refused file', async () => {
    const form = uploadForm({});
    form.append('cv', new Blob(['Good CV one.'], { type: 'text/plain' }), 'a.txt');
    form.append('project', new Blob(['Good project one.'], { type: 'text/plain' }), 'a-p.txt');
    form.append('cv', new Blob([new Uint8Array([0x00, 0x01, 0x02, 0xff, 0xfe])]), 'binary.bin');
    form.append('project', new Blob(['Good project two.'], { type: 'text/plain' }), 'b-p.txt');
    form.append('cv', new Blob(['Good CV three.'], { type: 'text/plain' }), 'c.txt');
    // a zip bomb in a bulk upload is refused by the sandbox like a single upload's
    form.append('cv', new Blob([(await makeDocxInflating(28)) as BlobPart]), 'bomb.docx');
    form.append('project', new Blob(['Good project three.'], { type: 'text/plain' }), 'c-p.txt');
    const res = await h.app.request('/v1/uploads/bulk', {
      method: 'POST',
      headers: auth(h.keyA),
      body: form,
    });
    expect(res.status).toBe(201);
    const body = (await res.json()) as {
      accepted: { index: number }[];
      refused: { index: number; field: string; filename: string; code: string }[];
    };
    // pairs by order: (a, a-p) (binary, b-p) (c, c-p) (bomb, none)
    expect(body.accepted.map((a) => a.index)).toEqual([0, 2]);
    expect(body.refused.map((r) => `${r.index}:${r.field}`)).toEqual(['1:cv', '3:cv', '3:project']);
    expect(body.refused[0]!.filename).toBe('binary.bin');
    expect(body.refused[1]!.code).toBe('ZIP_BOMB');
    expect(body.refused[2]!.code).toBe('MISSING_FILE');
    const count = await h.db.execute<{ n: number }>(
      sql`select count(*)::int as n from uploads where filename in ('b-p.txt', 'binary.bin', 'bomb.docx')`,
    );
    expect([...count][0]!.n).toBe(0);
  });
});

describe('ranking', () => {
  it('orders by the combined score with stable ties, filters, pages with a cursor, and answers CSV', async () => {
    const p = await newPosition('Ranked');
    const candidates = await uploadPairs(6);
    const res = await post(`/v1/positions/${p.id}/evaluations`, { candidates }, h.keyA, {
      'idempotency-key': randomUUID(),
    });
    const { jobs: accepted } = (await res.json()) as { jobs: { id: string }[] };
    // stored outcomes, as the evaluator writes them: [cv_match_rate, project_score] or failed / none
    const outcomes: ([number, number] | 'failed' | null)[] = [
      [0.8, 7],
      [0.5, 5.5],
      [0.8, 7],
      'failed',
      [0.9, 9],
      null,
    ];
    for (const [i, o] of outcomes.entries()) {
      if (o === null) continue;
      const jobId = accepted[i]!.id;
      const scores = { cv: { technical_skills: 4 }, project: { correctness: 3 } };
      await h.db.insert(results).values(
        o === 'failed'
          ? {
              jobId,
              outcome: 'failed',
              errorCode: 'PROVIDER_TIMEOUT',
              errorMessage: 'x',
              provenance: {},
              sourcePartition: 0,
              sourceOffset: BigInt(i),
            }
          : {
              jobId,
              outcome: 'completed',
              cvMatchRate: o[0].toFixed(2),
              projectScore: o[1].toFixed(1),
              cvFeedback: 'f',
              projectFeedback: 'f',
              overallSummary: 's',
              cvScores: scores.cv,
              projectScores: scores.project,
              provenance: i === 2 ? { flags: [{ code: 'injection_suspected', detail: 'x' }] } : {},
              sourcePartition: 0,
              sourceOffset: BigInt(i),
            },
      );
      await h.db
        .update(jobs)
        .set({
          status: o === 'failed' ? 'failed' : 'completed',
          ...(o === 'failed' ? { errorCode: 'PROVIDER_TIMEOUT', errorMessage: 'x' } : {}),
        })
        .where(eq(jobs.id, jobId));
    }
    type Page = {
      items: {
        rank: number;
        job_id: string;
        combined_score: number | null;
        flags: string[];
        status: string;
      }[];
      next_cursor: string | null;
    };
    const all = (await (await get(`/v1/positions/${p.id}/ranking`)).json()) as Page;
    const order = all.items.map((i) => accepted.findIndex((a) => a.id === i.job_id));
    // 4: 50·0.7/0.8 + 50·7/8 = 87.5; 0 and 2 tie at 68.8 (accepted order breaks it); 1: 40.6; then unscored
    expect(order.slice(0, 4)).toEqual([4, 0, 2, 1]);
    expect(all.items.map((i) => i.combined_score).slice(0, 4)).toEqual([87.5, 68.8, 68.8, 40.6]);
    expect(new Set(order.slice(4))).toEqual(new Set([3, 5]));
    expect(all.items.map((i) => i.rank)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(all.items[2]!.flags).toContain('injection_suspected');
    expect(all.items.find((i) => i.status === 'failed')!.flags).toContain('needs_review');

    const filtered = (await (
      await get(`/v1/positions/${p.id}/ranking?min_score=60&status=completed`)
    ).json()) as Page;
    expect(filtered.items.map((i) => i.combined_score)).toEqual([87.5, 68.8, 68.8]);

    // pages of two, joined by the cursor, give the same order without gaps or repeats
    const paged: string[] = [];
    let cursor: string | null = '';
    let ranks: number[] = [];
    while (cursor !== null) {
      const page = (await (
        await get(`/v1/positions/${p.id}/ranking?limit=2${cursor ? `&cursor=${cursor}` : ''}`)
      ).json()) as Page;
      paged.push(...page.items.map((i) => i.job_id));
      ranks = [...ranks, ...page.items.map((i) => i.rank)];
      cursor = page.next_cursor;
    }
    expect(paged).toEqual(all.items.map((i) => i.job_id));
    expect(ranks).toEqual([1, 2, 3, 4, 5, 6]);
    expect((await get(`/v1/positions/${p.id}/ranking?cursor=bogus`)).status).toBe(400);

    const csv = await get(`/v1/positions/${p.id}/ranking`, h.keyA, { accept: 'text/csv' });
    expect(csv.headers.get('content-type')).toMatch(/^text\/csv/);
    const lines = (await csv.text()).trimEnd().split('\r\n');
    expect(lines[0]).toMatch(/^rank,job_id,cv_id,project_id,status,position_version,combined_score,/);
    expect(lines).toHaveLength(7);
    expect(lines[1]).toContain(`1,${accepted[4]!.id},`);
    expect(lines[1]).toContain(',87.5,');
    expect(lines[3]).toContain('injection_suspected');

    expect((await get(`/v1/positions/${p.id}/ranking`, h.keyB)).status).toBe(404);
    // a version the position has is a ranking; one it never had is not found (found from outside: 200, empty)
    expect((await get(`/v1/positions/${p.id}/ranking?version=1`)).status).toBe(200);
    const missing = await get(`/v1/positions/${p.id}/ranking?version=99`);
    expect(missing.status).toBe(404);
    expect(((await missing.json()) as { code: string }).code).toBe('POSITION_NOT_FOUND');
  });
});

describe('webhook endpoints', () => {
  it('belong to their client: another client can neither see, rotate, list deliveries of, nor delete them', async () => {
    const created = await post('/v1/webhooks', {
      url: 'https://hooks.example.com/cv',
      event_types: ['evaluation.failed'],
    });
    expect(created.status).toBe(201);
    const hook = (await created.json()) as { id: string; secret: string; event_types: string[] };
    expect(hook.secret).toMatch(/^whsec_/);
    expect(hook.event_types).toEqual(['evaluation.failed']);
    for (const [method, path] of [
      ['GET', `/v1/webhooks/${hook.id}`],
      ['POST', `/v1/webhooks/${hook.id}/rotate-secret`],
      ['GET', `/v1/webhooks/${hook.id}/deliveries`],
      ['DELETE', `/v1/webhooks/${hook.id}`],
    ] as const) {
      const res = await h.app.request(path, { method, headers: auth(h.keyB) });
      expect(res.status, `${method} ${path}`).toBe(404);
    }
    const listB = (await (await get('/v1/webhooks', h.keyB)).json()) as { items: { id: string }[] };
    expect(listB.items.map((i) => i.id)).not.toContain(hook.id);
    const listA = (await (await get('/v1/webhooks')).json()) as { items: Record<string, unknown>[] };
    const mine = listA.items.find((i) => i.id === hook.id)!;
    expect(mine).not.toHaveProperty('secret');
    expect(
      (await h.app.request(`/v1/webhooks/${hook.id}`, { method: 'DELETE', headers: auth(h.keyA) })).status,
    ).toBe(204);
    expect((await get(`/v1/webhooks/${hook.id}`)).status).toBe(404);
    const bad = await post('/v1/webhooks', { url: 'ftp://hooks.example.com/' });
    expect(bad.status).toBe(422);
  });

  it('with the offline reader, a job description or brief it cannot screen is refused where it is given (422 CANNOT_SCREEN), stored nowhere', async () => {
    const screening = await apiHarness(stack, { offlineScreening: true });
    try {
      const send = (method: string, path: string, body: unknown) =>
        screening.app.request(path, {
          method,
          headers: auth(screening.keyA, { 'content-type': 'application/json', 'idempotency-key': 'vague-1' }),
          body: JSON.stringify(body),
        });
      const vague = 'We want a great team player who loves what they do and gets things done.';
      const refused = await send('POST', '/v1/positions', { title: 'Rockstar', job_description: vague });
      expect(refused.status).toBe(422);
      const problem = (await refused.json()) as { code: string; detail: string };
      expect(problem.code).toBe('CANNOT_SCREEN');
      expect(problem.detail).toMatch(/job description names \d+ concrete requirement/);
      const list = (await (
        await screening.app.request('/v1/positions', { headers: auth(screening.keyA) })
      ).json()) as { items: unknown[] };
      expect(list.items).toHaveLength(0);
      // the defaults, and a concrete description, are screenable
      const ok = await send('POST', '/v1/positions', { title: 'Backend engineer' });
      expect(ok.status).toBe(201);
      const { id } = (await ok.json()) as { id: string };
      // an edit to a vague brief is refused too; the position keeps its version
      const edit = await send('PATCH', `/v1/positions/${id}`, { study_case_brief: vague });
      expect(edit.status).toBe(422);
      expect(((await edit.json()) as { code: string }).code).toBe('CANNOT_SCREEN');
      // and a request's override: no job is made
      const evaluate = await send('POST', '/v1/evaluate', {
        cv_id: randomUUID(),
        project_id: randomUUID(),
        job_description: vague,
      });
      expect(evaluate.status).toBe(422);
      expect(((await evaluate.json()) as { code: string }).code).toBe('CANNOT_SCREEN');
      // control: without the offline reader (an LLM evaluates), the same description is stored
      expect((await post('/v1/positions', { title: 'Rockstar', job_description: vague })).status).toBe(201);
    } finally {
      await screening.close();
    }
  });
});
