// A dependency outage refuses every request with 503: one warn line per code and interval, with the count
// refused since, not an error line and a stack per request; any other 5xx is still an error each time.
import { Writable } from 'node:stream';
import { Hono } from 'hono';
import { describe, expect, it } from 'vitest';
import { onProblem, Problem } from '../../lib/api/middleware/problem.ts';
import { codes } from '../../lib/errors.ts';
import { createLogger } from '../../lib/telemetry/logger.ts';

function appLogging(everyMs: number, now = () => clock) {
  const lines: { level: number; msg: string; code?: string; refusedSinceLastNote?: number }[] = [];
  const destination = new Writable({
    write(chunk, _encoding, done) {
      lines.push(JSON.parse(String(chunk)));
      done();
    },
  });
  const app = new Hono();
  app.onError(onProblem(createLogger({ level: 'debug', format: 'json', destination }), { everyMs, now }));
  app.get('/down', () => {
    throw new Problem(codes.DATABASE_UNAVAILABLE, 'the database is unavailable');
  });
  app.get('/broken', () => {
    throw new Error('a bug');
  });
  return { app, lines };
}

// the throttle's clock, moved by hand: a busy machine does not move the window under the test
let clock = 0;

describe('5xx logging', () => {
  it('503s during an outage: one warn line per interval with the count refused since', async () => {
    const { app, lines } = appLogging(50);
    for (let i = 0; i < 20; i++) expect((await app.request('/down')).status).toBe(503);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ level: 40, code: 'DATABASE_UNAVAILABLE', refusedSinceLastNote: 0 });
    clock += 49;
    await app.request('/down');
    expect(lines).toHaveLength(1);
    clock += 1;
    await app.request('/down');
    expect(lines).toHaveLength(2);
    expect(lines[1]).toMatchObject({ level: 40, refusedSinceLastNote: 20 });
  });

  it('any other 5xx is an error line each time', async () => {
    const { app, lines } = appLogging(50);
    for (let i = 0; i < 3; i++) expect((await app.request('/broken')).status).toBe(500);
    expect(lines.map((l) => [l.level, l.msg])).toEqual(Array(3).fill([50, 'request failed']));
  });
});

describe('a client that goes away mid-body', () => {
  it('is not taken for a database outage: no 503, no warn or error line', async () => {
    const { serve } = await import('@hono/node-server');
    const { connect } = await import('node:net');
    const lines: { level: number; msg: string }[] = [];
    const destination = new Writable({
      write(chunk, _encoding, done) {
        lines.push(JSON.parse(String(chunk)));
        done();
      },
    });
    const app = new Hono();
    let answered: (status: number) => void = () => {};
    const status = new Promise<number>((r) => {
      answered = r;
    });
    app.onError((err, c) => {
      const res = onProblem(createLogger({ level: 'debug', format: 'json', destination }))(err, c);
      answered(res instanceof Response ? res.status : 0);
      return res;
    });
    app.post('/json', async (c) => c.json(await c.req.json()));
    const server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' });
    await new Promise((r) => server.once('listening', r));
    const port = (server.address() as { port: number }).port;
    const socket = connect(port, '127.0.0.1', () => {
      socket.write(
        'POST /json HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"a":',
      );
      setTimeout(() => socket.destroy(), 50);
    });
    // the request is answered (to no one) once its body read fails
    expect(await status).toBe(400);
    server.close();
    expect(lines.filter((l) => l.level >= 40)).toEqual([]);
  });
});
