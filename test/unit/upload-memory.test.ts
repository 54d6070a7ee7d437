// Upload bytes held at once are bounded: an upload reserves its declared length before its body is read,
// one that does not fit beside those in flight is refused at once (503 EXTRACTION_BUSY, Retry-After) with
// its body unread, and the bytes come back when the answer is ready. Found from outside: eight uploads at
// once took submit to 359 MB; nothing bounded how many bodies were held.
import { Hono } from 'hono';
import { describe, expect, it } from 'vitest';
import { onProblem } from '../../lib/api/middleware/problem.ts';
import { UploadMemory } from '../../lib/limits/upload-memory.ts';
import { createLogger } from '../../lib/telemetry/logger.ts';

function appWith(memory: UploadMemory) {
  const app = new Hono();
  app.onError(onProblem(createLogger({ level: 'silent' })));
  let open: () => void = () => {};
  const gate = new Promise<void>((r) => {
    open = r;
  });
  // as the authentication in front of the real routes does (a client of its own unless named)
  app.use('/up', async (c, next) => {
    c.set('clientId' as never, (c.req.header('x-client') ?? crypto.randomUUID()) as never);
    await next();
  });
  app.post('/up', memory.admit(5_000), async (c) => {
    await c.req.arrayBuffer();
    if (c.req.header('x-hold')) await gate;
    return c.text('ok');
  });
  return { app, open };
}

function body(bytes: number) {
  let pulls = 0;
  // pulled only when read (no chunk is fetched ahead)
  const stream = new ReadableStream<Uint8Array>(
    {
      pull(c) {
        pulls += 1;
        c.enqueue(new Uint8Array(bytes));
        c.close();
      },
    },
    { highWaterMark: 0 },
  );
  return { stream, pulls: () => pulls };
}

const post = (app: Hono, bytes: number, headers: Record<string, string> = {}) => {
  const b = body(bytes);
  const res = app.request('/up', {
    method: 'POST',
    headers: { 'content-length': String(bytes), ...headers },
    body: b.stream,
    duplex: 'half',
  } as RequestInit);
  return { res, pulls: b.pulls };
};

describe('upload memory', () => {
  it('refuses an upload that does not fit beside those in flight, unread, and admits it once they end', async () => {
    const memory = new UploadMemory(1_000);
    const { app, open } = appWith(memory);
    const first = post(app, 800, { 'x-hold': '1' });
    while (memory.usedBytes === 0) await new Promise((r) => setTimeout(r, 1));
    expect(memory.usedBytes).toBe(800);
    const second = post(app, 400);
    const refused = await second.res;
    expect(refused.status).toBe(503);
    expect(refused.headers.get('retry-after')).toBe('2');
    expect(await refused.json()).toMatchObject({ code: 'EXTRACTION_BUSY' });
    expect(second.pulls()).toBe(0);
    // one that fits beside it is admitted
    expect((await post(app, 200).res).status).toBe(200);
    open();
    expect((await first.res).status).toBe(200);
    expect(memory.usedBytes).toBe(0);
    expect((await post(app, 400).res).status).toBe(200);
  });

  it('a body without a declared length reserves the route limit; one over the whole budget runs alone', async () => {
    const memory = new UploadMemory(1_000);
    const { app } = appWith(memory);
    const chunked = app.request('/up', {
      method: 'POST',
      headers: { 'transfer-encoding': 'chunked' },
      body: body(300).stream,
      duplex: 'half',
    } as RequestInit);
    expect((await chunked).status).toBe(200);
    expect(memory.usedBytes).toBe(0);
    expect(memory.take(5_000)).toBeTypeOf('function');
    expect(memory.take(1)).toBeUndefined();
  });

  it("one client's uploads hold at most half the budget (beyond its first), so a client trickling bodies cannot starve the others", async () => {
    const memory = new UploadMemory(1_000);
    const { app, open } = appWith(memory);
    // client a: a slow body holding 400 bytes
    const slow = post(app, 400, { 'x-hold': '1', 'x-client': 'a' });
    while (memory.usedBytes === 0) await new Promise((r) => setTimeout(r, 1));
    // a second from a would hold 600 of 1,000: refused unread
    const more = post(app, 200, { 'x-client': 'a' });
    expect((await more.res).status).toBe(503);
    expect(more.pulls()).toBe(0);
    // another client's upload fits beside it
    expect((await post(app, 500, { 'x-client': 'b' }).res).status).toBe(200);
    // a client's first upload is admitted whatever its size, as long as the budget holds it
    expect((await post(app, 550, { 'x-client': 'c' }).res).status).toBe(200);
    // within its half, a second from a is admitted
    expect((await post(app, 100, { 'x-client': 'a' }).res).status).toBe(200);
    open();
    expect((await slow.res).status).toBe(200);
    expect(memory.usedBytes).toBe(0);
  });
});
