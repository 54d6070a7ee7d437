// npm run bench:hostile — hostile files against a real submit process (the issue 13 acceptance figures):
//   1. a ~100 KB DOCX whose document.xml inflates to 28 MB and a ~510 KB PDF whose FlateDecode stream
//      inflates to 512 MB, each uploaded alone: status, code and time to the answer (goal: 4xx < 2 s);
//   2. 8 such uploads at once (4 of each): submit's peak RSS (VmHWM, goal ≤ 300 MB) and /healthz
//      latency polled every 20 ms throughout (goal: max < 100 ms).
// Prints one line per figure; the last line is one JSON object. Exits 1 when a goal is missed.
import { type ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';
import { Worker } from 'node:worker_threads';
import { createClient } from '../lib/db/api-clients.ts';
import { closeDatabase, createDatabase } from '../lib/db/database.ts';
import { migrateDatabase } from '../lib/db/migrate.ts';
import { createKafka } from '../lib/kafka/client.ts';
import { functionRuntimeEnv } from '../lib/util/function-runtime.ts';
import { makeDocxInflating, makePdfInflating } from '../test/helpers/documents.ts';
import { benchStack, progress } from './bench/stack.ts';

const stack = await benchStack();
const dbUrl = new URL(stack.databaseUrl);
dbUrl.pathname = '/cv_evaluator_bench_hostile';
await migrateDatabase(dbUrl.toString());
const db = createDatabase(dbUrl.toString(), { poolSize: 1 });
const client = await createClient(db, 'bench-hostile');
await closeDatabase(db);
const run = `bench-hostile-${randomUUID().slice(0, 6)}`;
const port = 18380;

progress('generating the hostile files');
const docx = await makeDocxInflating(28);
const pdf = await makePdfInflating(512);
progress(`DOCX ${docx.length} bytes (inflates to 28 MB), PDF ${pdf.length} bytes (inflates to 512 MB)`);

function kib(status: string, key: string): number {
  const m = new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(status);
  return m ? Number(m[1]) : 0;
}
const memory = (pid: number) => {
  const s = readFileSync(`/proc/${pid}/status`, 'utf8');
  return { rssMb: Math.round(kib(s, 'VmRSS') / 1024), peakMb: Math.round(kib(s, 'VmHWM') / 1024) };
};

async function startSubmit(): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['functions/submit/index.ts'], {
    env: {
      ...process.env,
      DATABASE_URL: dbUrl.toString(),
      KAFKA_BROKERS: stack.brokers.join(','),
      KAFKA_TOPIC_JOBS: `${run}-jobs`,
      KAFKA_TOPIC_RESULTS: `${run}-results`,
      KAFKA_TOPIC_DLQ: `${run}-dlq`,
      KAFKA_TOPIC_PARTITIONS: '1',
      PORT: String(port),
      HOST: '127.0.0.1',
      LOG_LEVEL: 'warn',
      INSTANCE_ID: run,
      // the benchmark measures the sandbox, not the rate limit
      RATE_LIMIT_UPLOADS: '0',
      // as the image runs it (Dockerfile)
      ...functionRuntimeEnv(),
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  for (let i = 0; i < 150; i++) {
    const ok = await fetch(`http://127.0.0.1:${port}/healthz`).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) return child;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error('submit did not start');
}

async function upload(bytes: Uint8Array, name: string) {
  const form = new FormData();
  form.append('cv', new Blob([bytes as BlobPart]), name);
  form.append('project', new Blob([bytes as BlobPart]), name);
  const started = performance.now();
  const res = await fetch(`http://127.0.0.1:${port}/v1/upload`, {
    method: 'POST',
    headers: { authorization: `Bearer ${client.apiKey}` },
    body: form,
  });
  const body = (await res.json().catch(() => ({}))) as { code?: string };
  return { status: res.status, code: body.code ?? '', ms: Math.round(performance.now() - started) };
}

const child = await startSubmit();
const pid = child.pid!;
// Let the sandbox's workers finish starting (submit warms them at start-up).
await new Promise((r) => setTimeout(r, 3000));
const idle = memory(pid);
progress(`submit up: RSS ${idle.rssMb} MB at rest`);

/**
 * /healthz latencies, polled every 20 ms while `work` runs (or for `work` ms). The poller has its own
 * thread and event loop: what it measures is submit's answer time, not this script's own busy moments
 * (building eight multipart bodies). It warms up first (its first fetches load and compile undici and
 * open the connection, tens of milliseconds that are the poller's, not submit's) and only then is the
 * work started.
 */
async function pollHealth(work: (() => Promise<unknown>) | number): Promise<number[]> {
  const poller = new Worker(
    `const { parentPort, workerData } = require('node:worker_threads');
    let polling = true;
    const samples = [];
    parentPort.on('message', () => { polling = false; });
    (async () => {
      for (let i = 0; i < 10; i++) await fetch(workerData.url).catch(() => {});
      parentPort.postMessage('ready');
      while (polling) {
        const t0 = performance.now();
        await fetch(workerData.url).catch(() => {});
        samples.push(performance.now() - t0);
        await new Promise((r) => setTimeout(r, 20));
      }
      parentPort.postMessage(samples);
    })();`,
    { eval: true, workerData: { url: `http://127.0.0.1:${port}/healthz` } },
  );
  await new Promise((resolve) => poller.once('message', resolve));
  const samples = new Promise<number[]>((resolve) => poller.once('message', resolve));
  await (typeof work === 'number' ? new Promise((r) => setTimeout(r, work)) : work());
  poller.postMessage('stop');
  const result = await samples;
  await poller.terminate();
  return result;
}
// The host's own noise: /healthz with nothing else to do (a loaded shared host shows it here too).
const baseline = await pollHealth(3000);

const single = { docx: await upload(docx, 'cv.docx'), pdf: await upload(pdf, 'cv.pdf') };
progress(`DOCX alone: ${single.docx.status} ${single.docx.code} in ${single.docx.ms} ms`);
progress(`PDF alone: ${single.pdf.status} ${single.pdf.code} in ${single.pdf.ms} ms`);

let inFlight: ReturnType<typeof upload>[] = [];
const health = await pollHealth(() => {
  inFlight = Array.from({ length: 8 }, (_, i) =>
    i % 2 ? upload(pdf, `cv${i}.pdf`) : upload(docx, `cv${i}.docx`),
  );
  return Promise.all(inFlight);
});
const concurrent = await Promise.all(inFlight);
const after = memory(pid);
child.kill('SIGTERM');
await new Promise((r) => child.on('exit', r));

const admin = createKafka({ brokers: stack.brokers, clientId: run }).admin();
await admin.connect();
await admin.deleteTopics({ topics: [`${run}-jobs`, `${run}-results`, `${run}-dlq`] }).catch(() => {});
await admin.disconnect();
await stack.stop();

const percentile = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return Math.round(s[Math.min(s.length - 1, Math.floor(p * s.length))]! * 10) / 10;
};
const pct = (p: number) => percentile(health, p);
const load = loadavg()[0]!.toFixed(1);
const summary = {
  benchmark: 'hostile',
  files: { docxBytes: docx.length, docxInflatesTo: '28 MB', pdfBytes: pdf.length, pdfInflatesTo: '512 MB' },
  single,
  concurrent: {
    uploads: concurrent.length,
    statuses: concurrent.map((r) => `${r.status} ${r.code}`),
    slowestMs: Math.max(...concurrent.map((r) => r.ms)),
    peakRssMb: after.peakMb,
    rssAtRestMb: idle.rssMb,
    healthz: { samples: health.length, p50Ms: pct(0.5), p99Ms: pct(0.99), maxMs: pct(1) },
  },
  healthzAtRest: {
    samples: baseline.length,
    p50Ms: percentile(baseline, 0.5),
    maxMs: percentile(baseline, 1),
  },
  hostLoadAverage: Number(load),
  goals: { refusedWithinMs: 2000, peakRssMb: 300, healthzMaxMs: 100 },
};
const met = {
  refusedFast: [single.docx, single.pdf].every((r) => r.status >= 400 && r.status < 500 && r.ms < 2000),
  allRefused: concurrent.every((r) => r.status >= 400 && r.status < 500),
  peakRss: after.peakMb <= 300,
  healthz: pct(1) < 100,
};
process.stdout.write(
  `\nalone: DOCX ${single.docx.status} ${single.docx.code} in ${single.docx.ms} ms · PDF ${single.pdf.status} ${single.pdf.code} in ${single.pdf.ms} ms\n` +
    `8 in flight: all ${met.allRefused ? '4xx' : 'NOT 4xx'} (slowest ${summary.concurrent.slowestMs} ms) · peak RSS ${after.peakMb} MB (at rest ${idle.rssMb} MB) · /healthz p50 ${pct(0.5)} ms, p99 ${pct(0.99)} ms, max ${pct(1)} ms over ${health.length} polls\n` +
    `/healthz at rest: p50 ${percentile(baseline, 0.5)} ms, max ${percentile(baseline, 1)} ms · host load average ${load} on ${availableParallelism()} cores\n`,
);
process.stdout.write(`${JSON.stringify({ ...summary, met })}\n`);
process.exit(Object.values(met).every(Boolean) ? 0 : 1);
