// npm run bench:submit — load on POST /v1/evaluate (64 connections, distinct Idempotency-Keys) against a
// submit process on loopback: transactional publish vs plain idempotent publish, and the ceiling — a bare
// node:http server doing the route's database work with postgres.js (scripts/bench/bare-submit.ts) — side
// by side in one run. Prints req/s and p50/p99 for each, submit's fraction of the bare server and the
// transactional/idempotent ratio; the last line is one JSON object. --cpu-prof DIR writes a CPU profile of
// each submit process into DIR.
import { type ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';
import { createClient } from '../lib/db/api-clients.ts';
import { closeDatabase, createDatabase } from '../lib/db/database.ts';
import { migrateDatabase } from '../lib/db/migrate.ts';
import { insertUploads } from '../lib/db/uploads.ts';
import { functionRuntimeEnv, warmCompileCache } from '../lib/util/function-runtime.ts';
import { startCpuMeter } from './bench/cpu-meter.ts';
import { benchStack, progress } from './bench/stack.ts';

const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: '10' },
    connections: { type: 'string', default: '64' },
    rounds: { type: 'string', default: '2' },
    pool: { type: 'string', default: '20' },
    'cpu-prof': { type: 'string' },
    // count round trips per request (socket writes to PostgreSQL and Kafka) and event-loop delay
    diagnostics: { type: 'boolean', default: false },
  },
});
// as the image is built: submit starts with every module in Node's compile cache
const cold = warmCompileCache(['submit']);
if (cold.length) progress('compile cache not filled for submit (its entrypoint did not load)');
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

const diagnose = () =>
  values.diagnostics ? ['--import', new URL('./bench/diagnostics.ts', import.meta.url).pathname] : [];
const diagnosticsFile = (port: number) => `${tmpdir()}/bench-submit-${process.pid}-${port}.json`;
function readDiagnostics(port: number): Record<string, number> | undefined {
  try {
    return JSON.parse(readFileSync(diagnosticsFile(port), 'utf8'));
  } catch {
    return undefined;
  }
}

async function startSubmit(mode: 'exactly-once' | 'at-least-once', port: number): Promise<ChildProcess> {
  const profile = values['cpu-prof'] ? ['--cpu-prof', `--cpu-prof-dir=${values['cpu-prof']}`] : [];
  const child = spawn(process.execPath, [...profile, ...diagnose(), 'functions/submit/index.ts'], {
    env: {
      ...process.env,
      // as the image runs it (heap flags, compile cache)
      ...functionRuntimeEnv(),
      BENCH_DIAGNOSTICS_FILE: diagnosticsFile(port),
      DATABASE_URL: dbUrl.toString(),
      DATABASE_POOL_SIZE: values.pool,
      // one client at full speed on purpose: abuse limits off (0 = none)
      RATE_LIMIT_UPLOADS: '0',
      RATE_LIMIT_EVALUATIONS: '0',
      JOB_QUOTA_PER_DAY: '0',
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
  return await started(child, port);
}

function startBare(port: number): Promise<ChildProcess> {
  const child = spawn(
    process.execPath,
    [
      ...diagnose(),
      new URL('./bench/bare-submit.ts', import.meta.url).pathname,
      String(port),
      dbUrl.toString(),
      values.pool,
      client.id,
    ],
    {
      stdio: ['ignore', 'ignore', 'inherit'],
      // the same heap settings as submit: the young generation's size alone moves throughput by 10–30 %
      env: { ...process.env, ...functionRuntimeEnv(), BENCH_DIAGNOSTICS_FILE: diagnosticsFile(port) },
    },
  );
  return started(child, port);
}

// A busy machine can take many seconds to import the app; never leave a server behind.
const children = new Set<ChildProcess>();
process.on('exit', () => {
  for (const c of children) c.kill('SIGKILL');
});

async function started(child: ChildProcess, port: number): Promise<ChildProcess> {
  children.add(child);
  child.once('exit', () => children.delete(child));
  for (let i = 0; i < 600; i++) {
    const ok = await fetch(`http://127.0.0.1:${port}/healthz`).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) return child;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`the server on ${port} did not start`);
}

async function load(port: number, seconds = Number(values.seconds)) {
  const body = JSON.stringify({ cv_id: cv!.id, project_id: project!.id });
  const result = await autocannon({
    url: `http://127.0.0.1:${port}/v1/evaluate`,
    connections: Number(values.connections),
    duration: seconds,
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

/** The server's peak resident memory so far (Linux: VmHWM), in MB. */
function peakRssOf(pid: number): number | undefined {
  try {
    const kb = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
    return kb ? Math.round(Number(kb) / 1024) : undefined;
  } catch {
    return undefined;
  }
}

type Kind = 'transactional' | 'idempotent' | 'bare';
type Figures = {
  reqPerSec: number;
  p50Ms: number;
  p99Ms: number;
  non2xx: number;
  diagnostics?: Record<string, number>;
  cpuMsPerRequest?: Record<string, number>;
  peakRssMb?: number;
  machineBusy?: number;
};
const figures: Record<Kind, Figures[]> = {
  transactional: [],
  idempotent: [],
  bare: [],
};
const WARM_UP_SECONDS = 2;
let port = 18080 + (process.pid % 500) * 4;
for (let round = 1; round <= Number(values.rounds); round++) {
  // Rotate the order so no kind always runs on a warmer database (or a quieter machine).
  const kinds: Kind[] = ['bare', 'transactional', 'idempotent'];
  const order = [...kinds.slice((round - 1) % 3), ...kinds.slice(0, (round - 1) % 3)];
  for (const kind of order) {
    port += 1;
    const child =
      kind === 'bare'
        ? await startBare(port)
        : await startSubmit(kind === 'transactional' ? 'exactly-once' : 'at-least-once', port);
    // warm up on the measured route itself (JIT, pools, prepared statements, the producer's first
    // transactions): the figures are taken after it, as the pipeline bench's are after its warm-up
    await load(port, WARM_UP_SECONDS);
    // the diagnostics count the measured load only (scripts/bench/diagnostics.ts resets on SIGUSR2)
    if (values.diagnostics) child.kill('SIGUSR2');
    const meter = startCpuMeter({
      componentOf: (_, pid) => (pid === child.pid ? 'server' : undefined),
      reapedAs: 'server',
    });
    const r = await load(port);
    const cpu = meter?.stop(r.total);
    const peakRssMb = peakRssOf(child.pid!);
    progress(
      `${kind} round ${round}: ${r.reqPerSec} req/s, p50 ${r.p50Ms} ms, p99 ${r.p99Ms} ms, non-2xx ${r.non2xx} of ${r.total}, peak RSS ${peakRssMb ?? '?'} MB`,
    );
    if (cpu) {
      const m = cpu.msPerJob;
      progress(
        `${kind} round ${round}: CPU per request (ms): server ${m.server}, PostgreSQL ${m.postgres}, Kafka ${m.kafka}, ` +
          `load generator ${m.bench}, other ${m.other} = ${m.total}; machine ${Math.round(cpu.machineBusyFraction * 100)} % busy`,
      );
    }
    figures[kind]!.push({
      ...r,
      ...(peakRssMb !== undefined && { peakRssMb }),
      ...(cpu && { cpuMsPerRequest: cpu.msPerJob, machineBusy: cpu.machineBusyFraction }),
    });
    child.kill('SIGTERM');
    await new Promise((r) => child.on('exit', r));
    const d = readDiagnostics(port);
    if (d) {
      progress(`${kind} round ${round}: ${JSON.stringify(d)}`);
      figures[kind]![figures[kind]!.length - 1]!.diagnostics = d;
    }
  }
}
await stack.stop();
const best = <T extends { reqPerSec: number }>(xs: T[]): T =>
  xs.reduce((a, b) => (b.reqPerSec > a.reqPerSec ? b : a));
const rates = (xs: Figures[]) => xs.map((f) => f.reqPerSec).sort((a, b) => a - b);
const median = (xs: Figures[]) => {
  const r = rates(xs);
  return r.length % 2 ? r[r.length >> 1]! : Math.round((r[r.length / 2 - 1]! + r[r.length / 2]!) / 2);
};
const range = (xs: Figures[]) => [rates(xs)[0]!, rates(xs).at(-1)!];
const tx = best(figures.transactional!);
const idem = best(figures.idempotent!);
const bare = best(figures.bare!);
// A closed loop of C connections at X req/s has a mean latency of C / X (Little's law): a p99 goal is a
// throughput goal too. With the bare server's own tail (its p99 over its mean), submit's p99 would meet
// the goal from `reqPerSecForP99Goal` up.
const connections = Number(values.connections);
const meanMs = (f: Figures) => (connections * 1000) / f.reqPerSec;
const bareTail = bare.p99Ms / meanMs(bare);
const closedLoop = {
  meanMs: {
    transactional: Math.round(meanMs(tx)),
    idempotent: Math.round(meanMs(idem)),
    bare: Math.round(meanMs(bare)),
  },
  bareP99OverMean: Number(bareTail.toFixed(2)),
  reqPerSecForP99Goal: Math.round((connections * 1000 * bareTail) / 50),
};
progress(
  `closed loop of ${connections}: mean latency ${closedLoop.meanMs.transactional} ms transactional, ${closedLoop.meanMs.bare} ms bare; ` +
    `with the bare server's tail (p99 ${closedLoop.bareP99OverMean} × mean) a p99 of 50 ms needs ${closedLoop.reqPerSecForP99Goal} req/s`,
);
const summary = {
  benchmark: 'submit',
  connections: Number(values.connections),
  seconds: Number(values.seconds),
  pool: Number(values.pool),
  transactional: tx,
  idempotent: idem,
  bare,
  fractionOfBare: Number((tx.reqPerSec / bare.reqPerSec).toFixed(3)),
  ratio: Number((tx.reqPerSec / idem.reqPerSec).toFixed(3)),
  closedLoop,
  // The headline takes each kind's best round. This machine's own speed moves between rounds (the same
  // kind has spanned 1,976–2,918 req/s within one run), so the medians and each kind's range are printed
  // beside it: a ratio the medians do not share is noise.
  medians: {
    transactional: median(figures.transactional),
    idempotent: median(figures.idempotent),
    bare: median(figures.bare),
    ratio: Number((median(figures.transactional) / median(figures.idempotent)).toFixed(3)),
    fractionOfBare: Number((median(figures.transactional) / median(figures.bare)).toFixed(3)),
  },
  ranges: {
    transactional: range(figures.transactional),
    idempotent: range(figures.idempotent),
    bare: range(figures.bare),
  },
  perRound: figures,
  goals: { fractionOfBare: 0.5, p99Ms: 50, ratio: 0.9 },
};
process.stdout.write(
  `\ntransactional ${tx.reqPerSec} req/s (p50 ${tx.p50Ms} ms, p99 ${tx.p99Ms} ms) · idempotent ${idem.reqPerSec} req/s (p99 ${idem.p99Ms} ms) · bare ${bare.reqPerSec} req/s (p99 ${bare.p99Ms} ms) · fraction of bare ${summary.fractionOfBare} · tx/idempotent ${summary.ratio}\n`,
);
process.stdout.write(
  `medians: transactional ${summary.medians.transactional} · idempotent ${summary.medians.idempotent} · bare ${summary.medians.bare} req/s · tx/idempotent ${summary.medians.ratio} · fraction of bare ${summary.medians.fractionOfBare}\n`,
);
process.stdout.write(`${JSON.stringify(summary)}\n`);
process.exit(0);
