// SIGTERM with requests in flight: submit stops accepting, answers what it accepted (after the request
// records committed), closes its producers and pool, and exits 0.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { createClient } from '../../lib/db/api-clients.ts';
import { closeDatabase, createDatabase } from '../../lib/db/database.ts';
import { insertUploads } from '../../lib/db/uploads.ts';
import { isolatedStack } from '../helpers/isolation.ts';
import { drainTopic } from '../helpers/kafka.ts';

const stack = await isolatedStack('shutdown');

describe('submit shutdown', () => {
  it('SIGTERM during requests: accepted ones are answered 202 and published, then exit 0', async () => {
    const topics = { jobs: stack.topic('jobs'), results: stack.topic('results'), dlq: stack.topic('dlq') };
    await stack.createTopics(Object.values(topics));
    const db = createDatabase(stack.databaseUrl, { poolSize: 2 });
    const { id: clientId, apiKey } = await createClient(db, 'shutdown');
    const upload = (kind: 'cv' | 'project') => ({
      clientId,
      kind,
      filename: kind,
      mediaType: 'text/plain',
      sizeBytes: 2,
      sha256: 'x',
      extractedText: kind,
    });
    const rows = await insertUploads(db, [upload('cv'), upload('project')]);
    await closeDatabase(db);
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
    for (
      let i = 0;
      i < 100 &&
      !(await fetch(`${base}/healthz`).then(
        (r) => r.ok,
        () => false,
      ));
      i++
    ) {
      await new Promise((r) => setTimeout(r, 200));
    }
    const body = JSON.stringify({
      cv_id: rows.find((r) => r.kind === 'cv')!.id,
      project_id: rows.find((r) => r.kind === 'project')!.id,
    });
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
});
