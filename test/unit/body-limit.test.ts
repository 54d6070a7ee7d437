// limitBody on a real Node server (@hono/node-server): a declared length is refused from the headers, a
// chunked body is counted as it streams in, and a body within the limit reaches the handler intact.
import { request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import { Hono } from 'hono';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Env } from '../../lib/api/context.ts';
import { limitBody } from '../../lib/api/middleware/body.ts';
import { onProblem } from '../../lib/api/middleware/problem.ts';
import { codes } from '../../lib/errors.ts';
import { createLogger } from '../../lib/telemetry/logger.ts';

const LIMIT = 1024;
let handled = 0;
const app = new Hono<Env>();
app.onError(onProblem(createLogger({ level: 'silent' })));
app.use('/echo', limitBody(LIMIT, codes.PAYLOAD_TOO_LARGE, `at most ${LIMIT} bytes`));
app.post('/echo', async (c) => {
  handled += 1;
  const body = await c.req.json<{ text: string }>();
  return c.json({ length: body.text.length });
});
let server: ReturnType<typeof serve>;
let port = 0;
beforeAll(async () => {
  server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' });
  await new Promise<void>((resolve) => server.once('listening', () => resolve()));
  port = (server.address() as AddressInfo).port;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

/** POSTs `chunks`; with `declare`, a Content-Length, else chunked transfer encoding. */
function post(
  chunks: string[],
  declare: boolean,
): Promise<{ status: number; body: Record<string, unknown> }> {
  const total = chunks.reduce((n, c) => n + Buffer.byteLength(c), 0);
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        path: '/echo',
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(declare ? { 'content-length': total } : {}) },
      },
      (res) => {
        let text = '';
        res.on('data', (d: Buffer) => {
          text += d.toString();
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) }));
      },
    );
    req.on('error', reject);
    for (const c of chunks) req.write(c);
    req.end();
  });
}

const json = (n: number) => JSON.stringify({ text: 'x'.repeat(n) });

describe('limitBody', () => {
  for (const declare of [true, false]) {
    const how = declare ? 'with a declared length' : 'chunked';
    it(`${how}: a body within the limit reaches the handler whole`, async () => {
      const body = json(900);
      const res = await post([body.slice(0, 300), body.slice(300)], declare);
      expect(res).toEqual({ status: 200, body: { length: 900 } });
    });

    it(`${how}: a body over the limit is refused with its code, and the handler never runs`, async () => {
      const before = handled;
      const body = json(2000);
      const res = await post([body.slice(0, 500), body.slice(500)], declare);
      expect(res.status).toBe(413);
      expect(res.body.code).toBe(codes.PAYLOAD_TOO_LARGE);
      expect(handled).toBe(before);
    });
  }
});
