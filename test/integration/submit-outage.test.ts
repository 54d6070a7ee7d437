// Submit while PostgreSQL is unreachable (a TCP proxy between the app and the database cuts every
// connection): 503 DATABASE_UNAVAILABLE with Retry-After, never a 500; and it answers normally again
// once the database is back.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ApiHarness, apiHarness, uploadForm } from '../helpers/api.ts';
import { isolatedStack } from '../helpers/isolation.ts';
import { startTcpProxy, type TcpProxy, viaProxy } from '../helpers/tcp-proxy.ts';

const stack = await isolatedStack('submit-outage');
let h: ApiHarness;
let proxy: TcpProxy;

beforeAll(async () => {
  const pg = new URL(stack.databaseUrl);
  proxy = await startTcpProxy({ host: pg.hostname, port: Number(pg.port || 5432) });
  h = await apiHarness(stack, { databaseUrl: viaProxy(stack.databaseUrl, proxy) });
});
afterAll(async () => {
  await proxy?.restore();
  await h?.close();
  await proxy?.close();
});

const auth = () => ({ authorization: `Bearer ${h.keyA}` });

async function upload() {
  return h.app.request('/v1/upload', {
    method: 'POST',
    headers: auth(),
    body: uploadForm({
      cv: { bytes: 'Senior engineer: TypeScript, Kafka, PostgreSQL.', name: 'cv.txt' },
      project: { bytes: 'Report: a queue, retries with backoff, a README.', name: 'r.txt' },
    }),
  });
}

function evaluate(ids: { cv_id: string; project_id: string }, key: string) {
  return h.app.request('/v1/evaluate', {
    method: 'POST',
    headers: { ...auth(), 'content-type': 'application/json', 'idempotency-key': key },
    body: JSON.stringify(ids),
  });
}

describe('submit during a database outage', () => {
  it('answers 503 DATABASE_UNAVAILABLE with Retry-After while PostgreSQL is unreachable, and 202 again once it is back', async () => {
    const { cv_id, project_id } = (await (await upload()).json()) as { cv_id: string; project_id: string };
    const ids = { cv_id, project_id };
    proxy.cut();
    const answers = [
      await upload(),
      await evaluate(ids, 'outage-1'),
      await h.app.request('/v1/result/00000000-0000-4000-8000-000000000000', { headers: auth() }),
    ];
    for (const res of answers) {
      expect(res.status).toBe(503);
      expect(res.headers.get('retry-after')).toBe('2');
      expect(res.headers.get('content-type')).toBe('application/problem+json');
      expect(((await res.json()) as { code: string }).code).toBe('DATABASE_UNAVAILABLE');
    }
    await proxy.restore();
    const accepted = await evaluate(ids, 'outage-1');
    expect(accepted.status).toBe(202);
  });
});
