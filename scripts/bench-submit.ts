// npm run bench:submit — load on POST /v1/evaluate (64 connections, distinct Idempotency-Keys) against a
// submit process on loopback: transactional publish vs plain idempotent publish, side by side in one run.
// Prints req/s and p50/p99 latency for each and their ratio; the last line is one JSON object.
import { type ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';
import { createClient } from '../lib/db/api-clients.ts';
import { closeDatabase, createDatabase } from '../lib/db/database.ts';
import { migrateDatabase } from '../lib/db/migrate.ts';
import { insertUploads } from '../lib/db/uploads.ts';
import { benchStack, progress } from './bench/stack.ts';

const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: '10' },
    connections: { type: 'string', default: '64' },
    rounds: { type: 'string', default: '2' },
  },
});
const stack = await benchStack();
const dbUrl = new URL(stack.databaseUrl);
dbUrl.pathname = '/cv_evaluator_bench';
await migrateDatabase(dbUrl.toString());
const db = createDatabase(dbUrl.toString(), { poolSize: 2 });
const client = await createClient(db, 'bench');
const upload = (kind: 'cv' | 'project') => ({
  clientId: client.id,
  kind,
  filename: `${kind}.txt`,
  mediaType: 'text/plain',
  sizeBytes: 2,
  sha256: 'bench',
  extractedText: kind,
});
const [cv, project] = await insertUploads(db, [upload('cv'), upload('project')]);
await closeDatabase(db);
const run = `bench-${randomUUID().slice(0, 6)}`;

async function startSubmit(mode: 'exactly-once' | 'at-least-once', port: number): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['functions/submit/index.ts'], {
    env: {
      ...process.env,
      DATABASE_URL: dbUrl.toString(),
      DATABASE_POOL_SIZE: '20',
      KAFKA_BROKERS: stack.brokers.join(','),
      KAFKA_TOPIC_JOBS: `${run}-jobs`,
      KAFKA_TOPIC_RESULTS: `${run}-results`,
      KAFKA_TOPIC_DLQ: `${run}-dlq`,
      KAFKA_DELIVERY_MODE: mode,
      PORT: String(port),
      HOST: '127.0.0.1',
      LOG_LEVEL: 'warn',
      INSTANCE_ID: `${run}-${mode}`,
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  for (let i = 0; i < 100; i++) {
    const ok = await fetch(`http://127.0.0.1:${port}/healthz`).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) return child;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error('submit did not start');
}

async function load(port: number) {
  const body = JSON.stringify({ cv_id: cv!.id, project_id: project!.id });
  const result = await autocannon({
    url: `http://127.0.0.1:${port}/v1/evaluate`,
    connections: Number(values.connections),
    duration: Number(values.seconds),
    requests: [
      {
        method: 'POST',
        body,
        setupRequest: (req) => ({
          ...req,
          headers: {
            ...req.headers,
            authorization: `Bearer ${client.apiKey}`,
            'content-type': 'application/json',
            'idempotency-key': randomUUID(),
          },
        }),
      },
    ],
  });
  const non2xx = result.non2xx;
  return {
    reqPerSec: Math.round(result.requests.average),
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    non2xx,
    total: result.requests.total,
  };
}

const figures: Record<string, { reqPerSec: number; p50Ms: number; p99Ms: number; non2xx: number }[]> = {
  transactional: [],
  idempotent: [],
};
let port = 18080;
for (let round = 1; round <= Number(values.rounds); round++) {
  const order: ('transactional' | 'idempotent')[] =
    round % 2 ? ['transactional', 'idempotent'] : ['idempotent', 'transactional'];
  for (const kind of order) {
    const child = await startSubmit(kind === 'transactional' ? 'exactly-once' : 'at-least-once', ++port);
    // warm up: connections, producers, JIT
    await autocannon({ url: `http://127.0.0.1:${port}/healthz`, connections: 8, duration: 1 });
    const r = await load(port);
    progress(
      `${kind} round ${round}: ${r.reqPerSec} req/s, p50 ${r.p50Ms} ms, p99 ${r.p99Ms} ms, non-2xx ${r.non2xx} of ${r.total}`,
    );
    figures[kind]!.push(r);
    child.kill('SIGTERM');
    await new Promise((r) => child.on('exit', r));
  }
}
await stack.stop();
const best = <T extends { reqPerSec: number }>(xs: T[]): T =>
  xs.reduce((a, b) => (b.reqPerSec > a.reqPerSec ? b : a));
const tx = best(figures.transactional!);
const idem = best(figures.idempotent!);
const summary = {
  benchmark: 'submit',
  connections: Number(values.connections),
  seconds: Number(values.seconds),
  transactional: tx,
  idempotent: idem,
  ratio: Number((tx.reqPerSec / idem.reqPerSec).toFixed(3)),
  perRound: figures,
  goals: { reqPerSec: 2000, p99Ms: 50, ratio: 0.75 },
};
process.stdout.write(
  `\ntransactional ${tx.reqPerSec} req/s (p50 ${tx.p50Ms} ms, p99 ${tx.p99Ms} ms) · idempotent ${idem.reqPerSec} req/s (p99 ${idem.p99Ms} ms) · ratio ${summary.ratio}\n`,
);
process.stdout.write(`${JSON.stringify(summary)}\n`);
process.exit(0);
