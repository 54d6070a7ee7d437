// SIGTERM with requests in flight: submit stops accepting, answers what it accepted (after the request
// records committed), closes its producers and pool, and exits 0.
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { connect } from 'node:net';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { runChild } from '../helpers/child.ts';
import { isolatedStack } from '../helpers/isolation.ts';
import { seedClientWithUploads } from '../helpers/jobs.ts';
import { drainTopic } from '../helpers/kafka.ts';

const stack = await isolatedStack('shutdown');

/** functions/submit on `port` against this file's stack, with JSON logs and `env` on top. */
function submitOn(port: number, name: string, env: Record<string, string> = {}) {
  return runChild('../functions/submit/index.ts', {
    DATABASE_URL: stack.databaseUrl,
    KAFKA_BROKERS: stack.brokers.join(','),
    KAFKA_TOPIC_JOBS: stack.topic('jobs'),
    KAFKA_TOPIC_RESULTS: stack.topic('results'),
    KAFKA_TOPIC_DLQ: stack.topic('dlq'),
    PORT: String(port),
    HOST: '127.0.0.1',
    INSTANCE_ID: `${stack.prefix}-${name}`,
    LOG_FORMAT: 'json',
    ...env,
  });
}

describe('submit shutdown', () => {
  it('SIGTERM during requests: accepted ones are answered 202 and published, then exit 0', async () => {
    const topics = { jobs: stack.topic('jobs'), results: stack.topic('results'), dlq: stack.topic('dlq') };
    await stack.createTopics(Object.values(topics));
    const { apiKey, cvId, projectId } = await seedClientWithUploads(stack.databaseUrl, 'shutdown');
    const port = 18700 + Math.floor(Math.random() * 200);
    const child = spawn(
      process.execPath,
      [fileURLToPath(new URL('../../functions/submit/index.ts', import.meta.url))],
      {
        env: {
          ...process.env,
          DATABASE_URL: stack.databaseUrl,
          KAFKA_BROKERS: stack.brokers.join(','),
          KAFKA_TOPIC_JOBS: topics.jobs,
          KAFKA_TOPIC_RESULTS: topics.results,
          KAFKA_TOPIC_DLQ: topics.dlq,
          PORT: String(port),
          HOST: '127.0.0.1',
          INSTANCE_ID: `${stack.prefix}-submit`,
          LOG_LEVEL: 'info',
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let out = '';
    child.stdout!.on('data', (c: Buffer) => {
      out += c.toString();
    });
    const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
    const base = `http://127.0.0.1:${port}`;
    // Wait until this child answers (a loaded machine can take tens of seconds to start it): a SIGTERM
    // sent while it is still loading would kill it before its handlers exist and test nothing.
    const deadline = Date.now() + 100_000;
    let healthy = false;
    while (!healthy && Date.now() < deadline) {
      healthy = await fetch(`${base}/healthz`).then(
        (r) => r.ok,
        () => false,
      );
      if (!healthy) await new Promise((r) => setTimeout(r, 200));
    }
    expect(healthy, 'submit answered /healthz').toBe(true);
    expect(out).toContain('submit listening');
    const body = JSON.stringify({ cv_id: cvId, project_id: projectId });
    const requests = Array.from({ length: 30 }, (_, i) =>
      fetch(`${base}/v1/evaluate`, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${apiKey}`,
          'content-type': 'application/json',
          'idempotency-key': `k${i}`,
        },
        body,
      }).then(
        async (r) => ({ status: r.status, id: ((await r.json()) as { id?: string }).id }),
        (err: Error) => ({ status: 0, error: String(err.cause ?? err) }),
      ),
    );
    await new Promise((r) => setTimeout(r, 30));
    child.kill('SIGTERM');
    const answers = await Promise.all(requests);
    expect(await exited).toBe(0);
    expect(out).toContain('"msg":"stopped"');

    const accepted = answers.filter((a) => a.status === 202);
    // Every request either got its 202 or was never accepted (connection refused): no 5xx, no hang-up.
    for (const a of answers) {
      if (a.status !== 202)
        expect(String((a as { error?: string }).error)).toMatch(/ECONNREFUSED|ECONNRESET|other side closed/);
    }
    expect(answers.filter((a) => a.status >= 500)).toEqual([]);
    expect(accepted.length).toBeGreaterThan(0);
    const records = await drainTopic(stack.kafka, topics.jobs, { expected: accepted.length });
    expect(new Set(records.map((r) => r.key))).toEqual(
      new Set(accepted.map((a) => (a as { id?: string }).id)),
    );
  });

  it('a keep-alive connection whose request was in flight at SIGTERM does not hold the stop: exit 0 at once', async () => {
    const { apiKey } = await seedClientWithUploads(stack.databaseUrl, 'keepalive');
    const port = 18_900 + Math.floor(Math.random() * 90);
    const child = submitOn(port, 'keepalive');
    await child.waitForLine(/submit listening/, 100_000);
    // a request on a connection the client keeps (as a load balancer's pool does), its body still coming
    // when SIGTERM arrives: once answered, the connection is idle but open
    const body = JSON.stringify({ cv_id: randomUUID(), project_id: randomUUID() });
    const socket = connect(port, '127.0.0.1');
    const closedByServer = new Promise<void>((resolve) => socket.once('close', () => resolve()));
    let answer = '';
    socket.on('data', (d) => {
      answer += d.toString();
    });
    socket.write(
      'POST /v1/evaluate HTTP/1.1\r\nHost: x\r\nConnection: keep-alive\r\n' +
        `Authorization: Bearer ${apiKey}\r\nIdempotency-Key: k\r\nContent-Type: application/json\r\n` +
        `Content-Length: ${body.length}\r\n\r\n${body.slice(0, 10)}`,
    );
    await new Promise((r) => setTimeout(r, 300));
    const sent = performance.now();
    child.process.kill('SIGTERM');
    await new Promise((r) => setTimeout(r, 300));
    socket.write(body.slice(10));
    const ended = await child.exited;
    // without closing connections as they become idle, close() waits for this one until the server's
    // keep-alive timeout (5 s; a client that keeps using it, as a load balancer's health checks do, holds
    // it until the stop's deadline): measured 6.3 s against 1.2 s
    expect(ended.code).toBe(0);
    expect(performance.now() - sent).toBeLessThan(4_000);
    await closedByServer;
    expect(answer).toMatch(/^HTTP\/1.1 4\d\d/);
  }, 180_000);

  it('an upload body trickled a byte at a time ends at REQUEST_BODY_TIMEOUT_MS (408) and gives its upload memory back', async () => {
    const { apiKey } = await seedClientWithUploads(stack.databaseUrl, 'trickle');
    const port = 18_900 + Math.floor(Math.random() * 90);
    const child = submitOn(port, 'trickle', {
      REQUEST_BODY_TIMEOUT_MS: '5000',
      // the whole budget is this one upload's declared 1 MB: while it holds it, no other upload fits
      UPLOAD_BUFFER_MB: '1',
    });
    try {
      await child.waitForLine(/submit listening/, 100_000);
      const socket = connect(port, '127.0.0.1');
      const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
      let answer = '';
      socket.on('data', (d) => {
        answer += d.toString();
      });
      socket.write(
        'POST /v1/upload HTTP/1.1\r\nHost: x\r\n' +
          `Authorization: Bearer ${apiKey}\r\nContent-Type: multipart/form-data; boundary=b\r\n` +
          `Content-Length: ${1024 * 1024}\r\n\r\n--b\r\n`,
      );
      const started = performance.now();
      const drip = setInterval(() => socket.writable && socket.write('x'), 500);
      await closed;
      clearInterval(drip);
      // Node checks every 5 s (connectionsCheckingInterval): at most ~10 s, not its default 300 s
      expect(performance.now() - started).toBeLessThan(15_000);
      expect(answer).toMatch(/^HTTP\/1.1 (408|4\d\d)/);
      // its reservation was given back: another client's upload is admitted (a 4xx about the form, not 503)
      const other = await fetch(`http://127.0.0.1:${port}/v1/upload`, {
        method: 'POST',
        headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'multipart/form-data; boundary=b' },
        body: '--b--\r\n',
      });
      expect(other.status).not.toBe(503);
    } finally {
      child.process.kill('SIGKILL');
      await child.exited;
    }
  }, 180_000);
});
