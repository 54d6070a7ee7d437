// npm run bench:pipeline — the whole evaluate path, PostgreSQL included: 20,000 queued jobs drained by
// several concurrent evaluate invocations (offline provider), then submit-to-result latency in --loop
// mode under a steady load, once that evaluator has answered 100 warm-up jobs (timed on their own). Prints jobs/s, p50/p99 latency and peak RSS per invocation, the offline
// provider's own cost per job measured in this process (the ceiling: jobs/s one core could evaluate with
// no Kafka and no database), and the time per stage per job (load, provider, outcome write, transaction
// commit) from the invocations' reports; the last line is one JSON object.
import { type ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import kafkajs from 'kafkajs';
import postgres from 'postgres';
import { migrateDatabase } from '../lib/db/migrate.ts';
import { defaultDocuments } from '../lib/evaluation/documents/index.ts';
import { createKafka } from '../lib/kafka/client.ts';
import { RequestPublisher } from '../lib/kafka/request-publisher.ts';
import { createTopicsAndWait } from '../lib/kafka/topics.ts';
import { functionRuntimeEnv, warmCompileCache } from '../lib/util/function-runtime.ts';
import { drainTopic } from '../test/helpers/kafka.ts';
import { dropAbandonedDatabases, dropDatabases } from '../test/helpers/scratch-databases.ts';
import { startCpuMeter } from './bench/cpu-meter.ts';
import { evaluationCosts } from './bench/evaluation-cost.ts';
import { benchStack, progress } from './bench/stack.ts';

const { values } = parseArgs({
  options: {
    jobs: { type: 'string', default: '20000' },
    invocations: { type: 'string', default: '3' },
    rate: { type: 'string', default: '100' },
    seconds: { type: 'string', default: '20' },
    'provider-jobs': { type: 'string', default: '200' },
    /** also drain the same backlog with the notify function delivering a webhook per result */
    notify: { type: 'boolean', default: true },
    /** also drain the same backlog with the evaluator's answers replayed: the pipeline's own rate */
    'pipeline-alone': { type: 'boolean', default: true },
    /** max.message.bytes of the results topic (the broker's 1 MiB default when not given) */
    'results-max-message-bytes': { type: 'string' },
  },
  allowNegative: true,
});
const JOBS = Number(values.jobs);
const { ConfigResourceTypes } = kafkajs;

// The provider's own cost: the same inputs the jobs carry, evaluated back to back in this process; beside
// it, the evaluation layer's checks alone (answers replayed) and a remote model's share (scripts/bench/evaluation-cost.ts).
const sample = (f: string) => readFileSync(new URL(`../samples/${f}`, import.meta.url), 'utf8');
const evaluationCost = await evaluationCosts(
  {
    cvText: sample('cv-strong.txt'),
    projectText: sample('project-report.txt'),
    jobDescription: defaultDocuments.jobDescription,
    studyCaseBrief: defaultDocuments.studyCaseBrief,
    scoringRubric: defaultDocuments.scoringRubric,
  },
  Number(values['provider-jobs']),
);
const providerCost = evaluationCost.offline;
progress(
  `offline provider alone: ${providerCost.cpuMsPerJob} ms CPU per job (${Math.round(1000 / providerCost.cpuMsPerJob)} jobs/s per core); ` +
    `its answers replayed: ${evaluationCost.replayed.cpuMsPerJob} ms; ` +
    `replayed as a remote model's (redaction, offline cross-check): ${evaluationCost.replayedAsRemoteModel.cpuMsPerJob} ms`,
);
// as the image is built: its functions start with every module in Node's compile cache
const cold = warmCompileCache(['evaluate', 'notify']);
if (cold.length) progress(`compile cache not filled for ${cold.join(', ')} (their entrypoints did not load)`);
const stack = await benchStack();
const run = `pipe-${randomUUID().slice(0, 6)}`;
// the run's own database, dropped at its end; one a killed run left is dropped by the next run
const DB_PREFIX = 'cv_bench_pipe_';
await dropAbandonedDatabases(stack.databaseUrl, DB_PREFIX);
const dbUrl = new URL(stack.databaseUrl);
const dbName = `${DB_PREFIX}${process.pid}_${run.slice('pipe-'.length)}`;
dbUrl.pathname = `/${dbName}`;
await migrateDatabase(dbUrl.toString());
const sql = postgres(dbUrl.toString(), { max: 4, onnotice: () => {} });
const kafka = createKafka({ brokers: stack.brokers, clientId: run });
const topics = { jobs: `${run}-jobs`, results: `${run}-results`, dlq: `${run}-dlq` };
const admin = kafka.admin();
await admin.connect();
await createTopicsAndWait(admin, Object.values(topics), { partitions: 12 });
if (values['results-max-message-bytes']) {
  await admin.alterConfigs({
    validateOnly: false,
    resources: [
      {
        type: ConfigResourceTypes.TOPIC,
        name: topics.results,
        configEntries: [{ name: 'max.message.bytes', value: values['results-max-message-bytes'] }],
      },
    ],
  });
}

const [client] =
  await sql`insert into clients (name, api_key_hash) values ('bench', ${randomUUID()}) returning id`;
const text = sample;
const [cv] =
  await sql`insert into uploads (client_id, kind, filename, media_type, size_bytes, sha256, extracted_text)
  values (${client!.id}, 'cv', 'cv.txt', 'text/plain', 1, 'x', ${text('cv-strong.txt')}) returning id`;
const [project] =
  await sql`insert into uploads (client_id, kind, filename, media_type, size_bytes, sha256, extracted_text)
  values (${client!.id}, 'project', 'p.txt', 'text/plain', 1, 'x', ${text('project-report.txt')}) returning id`;
const publisher = new RequestPublisher({ kafka, app: run, instanceId: 'bench', slots: 4 });

async function enqueue(
  n: number,
  owner = { client: client!.id, cv: cv!.id, project: project!.id },
): Promise<void> {
  const rows =
    await sql`insert into jobs (client_id, idempotency_key, request_fingerprint, cv_id, project_id, published_at)
    select ${owner.client}, gen_random_uuid()::text, 'bench', ${owner.cv}, ${owner.project}, now() from generate_series(1, ${n}) returning id`;
  await Promise.all(
    rows.map((r) =>
      publisher.publish({ topic: topics.jobs, key: r.id, value: JSON.stringify({ v: 1, job_id: r.id }) }),
    ),
  );
}

interface Invocation {
  maxRssMb: number;
  records: number;
  commitMs?: number;
  jobs?: { evaluated: number; stageMs?: { load: number; provider: number; store: number } };
}

function evaluator(
  loop: boolean,
  fn: 'evaluate' | 'notify' = 'evaluate',
  extraEnv: Record<string, string> = {},
  execArgv: string[] = [],
): {
  child: ChildProcess;
  done: Promise<Invocation[]>;
} {
  const args = [...execArgv, `functions/${fn}/index.ts`, ...(loop ? ['--loop'] : [])];
  const child = spawn(process.execPath, args, {
    env: {
      ...process.env,
      ...functionRuntimeEnv(),
      DATABASE_URL: dbUrl.toString(),
      KAFKA_BROKERS: stack.brokers.join(','),
      KAFKA_TOPIC_JOBS: topics.jobs,
      KAFKA_TOPIC_RESULTS: topics.results,
      KAFKA_TOPIC_DLQ: topics.dlq,
      KAFKA_EVALUATE_GROUP: `${run}-evaluate`,
      APP_NAME: run,
      EVALUATE_MAX_IDLE_MS: '3000',
      EVALUATE_LOOP_PAUSE_MS: '200',
      LOG_LEVEL: 'info',
      // the offline provider, whatever the caller's environment configures: its cost is what is measured
      LLM_PROVIDER: 'offline',
      ...extraEnv,
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const invocations: Invocation[] = [];
  let buffer = '';
  child.stdout!.on('data', (c: Buffer) => {
    buffer += c.toString();
    const lines = buffer.split('\n');
    buffer = lines.pop() ?? '';
    for (const l of lines)
      if (l.includes('"invocation finished"')) invocations.push(JSON.parse(l).invocation);
  });
  child.on('exit', (code) => code && progress(`a ${fn} invocation exited with ${code}`));
  return { child, done: new Promise((resolve) => child.on('exit', () => resolve(invocations))) };
}

/**
 * n evaluate invocations at a time, each started again when it exits (as a job platform would: an
 * invocation ends at EVALUATE_MAX_DURATION_MS, 60 s, whatever is left), until stop() ends them.
 */
function pool(n: number, execArgv: string[] = [], extraEnv: Record<string, string> = {}) {
  const reports: Invocation[] = [];
  const live = new Map<ChildProcess, Promise<void>>();
  let stopping = false;
  const startOne = () => {
    const w = evaluator(false, 'evaluate', extraEnv, execArgv);
    live.set(
      w.child,
      w.done.then((inv) => {
        reports.push(...inv);
        live.delete(w.child);
        if (!stopping) startOne();
      }),
    );
  };
  for (let i = 0; i < n; i++) startOne();
  return {
    reports,
    async stop() {
      stopping = true;
      for (const c of live.keys()) c.kill('SIGTERM');
      await Promise.all(live.values());
    },
  };
}

/** CPU by component over a drain, the evaluate invocations as their own. */
function evaluateCpuMeter() {
  return startCpuMeter({
    componentOf: (cmdline) => (cmdline.includes('functions/evaluate/') ? 'evaluate' : undefined),
    // the drain's invocations that ended (one reaches EVALUATE_MAX_DURATION_MS and another starts)
    reapedAs: 'evaluate',
  });
}

/** Waits until `current()` reaches `target`; no progress for 90 s is a stall, reported with the audit. */
async function waitFor(what: string, target: number, current: () => Promise<number>, every = 2000) {
  let last = -1;
  let progressAt = performance.now();
  for (;;) {
    const n = await current();
    if (n !== last) {
      if (n === target || Math.floor(n / every) !== Math.floor(last / every))
        progress(`${n} / ${target} ${what}`);
      last = n;
      progressAt = performance.now();
    }
    if (n >= target) return;
    if (performance.now() - progressAt > 90_000) {
      progress(`STALLED at ${n} / ${target} ${what}: ${JSON.stringify(await audit())}`);
      throw new Error(`${what} stalled at ${n} of ${target}`);
    }
    await new Promise((r) => setTimeout(r, 250));
  }
}

async function count(table: 'results' | 'jobs'): Promise<number> {
  const [r] = await sql`select count(*)::int as n from ${sql(table)}`;
  return r!.n as number;
}

// Phase 1: drain a backlog with several concurrent invocations.
progress(`queueing ${JOBS} jobs`);
await enqueue(JOBS);
progress(`draining with ${values.invocations} concurrent evaluate invocations`);
const started = performance.now();
const cpuMeter = evaluateCpuMeter();
const workers = pool(Number(values.invocations));
await waitFor('results stored', JOBS, () => count('results'));
const drainSeconds = (performance.now() - started) / 1000;
const jobsPerSec = Math.round(JOBS / drainSeconds);
const drainCpu = cpuMeter?.stop(JOBS);
await workers.stop();
const drained = workers.reports;
const peakRssMb = Math.max(...drained.map((i) => i.maxRssMb));
// Per job, summed over the drain's invocations. Provider time overlaps across concurrent jobs; the other
// stages run once per batch, so their per-job share is what a batch costs divided by its jobs.
const evaluated = drained.reduce((a, i) => a + (i.jobs?.evaluated ?? 0), 0) || 1;
const sumStage = (k: 'load' | 'provider' | 'store') =>
  drained.reduce((a, i) => a + (i.jobs?.stageMs?.[k] ?? 0), 0);
const perJob = (ms: number) => Number((ms / evaluated).toFixed(3));
const stagesMsPerJob = {
  load: perJob(sumStage('load')),
  provider: perJob(sumStage('provider')),
  outcomeWrite: perJob(sumStage('store')),
  transactionCommit: perJob(drained.reduce((a, i) => a + (i.commitMs ?? 0), 0)),
};
progress(`time per job by stage (ms): ${JSON.stringify(stagesMsPerJob)}`);
// how the work was shared: one invocation doing it all means the others never got partitions in time
const evaluatedPerInvocation = drained.map((i) => i.jobs?.evaluated ?? 0);
progress(`jobs evaluated per invocation: ${evaluatedPerInvocation.join(', ')}`);
progress(
  `drained ${JOBS} jobs in ${drainSeconds.toFixed(1)} s: ${jobsPerSec} jobs/s; peak RSS per invocation ${peakRssMb} MB`,
);
// The machine's own ceiling for this pipeline, measured in the drain: the CPU every component spent per
// job (the evaluate invocations, PostgreSQL, the broker, this process queueing and counting). What the
// pipeline would reach without the offline evaluator is measured, not subtracted, in the "pipeline alone"
// drain below: an evaluate invocation spends much of its CPU on the pipeline itself (fetching, loading the
// texts, checking every answer, storing and emitting the outcome), which no subtraction can tell apart.
const cpuPerJob = drainCpu && {
  ...drainCpu,
  fractionOfCeiling: Number((jobsPerSec / drainCpu.ceilingJobsPerSec).toFixed(3)),
};
if (cpuPerJob) {
  const m = cpuPerJob.msPerJob;
  progress(
    `CPU per job (ms): evaluate ${m.evaluate}, PostgreSQL ${m.postgres}, Kafka ${m.kafka}, bench ${m.bench}, ` +
      `other ${m.other} = ${m.total}; machine ${Math.round(cpuPerJob.machineBusyFraction * 100)} % busy; ` +
      `ceiling ${cpuPerJob.ceilingJobsPerSec} jobs/s on ${availableParallelism()} cores`,
  );
}

/**
 * Result rows against the results topic, read afresh under read_committed (distinct job ids as keys),
 * and the deliveries made: a stored result without its event would be an exactly-once bug, a result
 * event without a delivery a notify bug.
 */
async function audit() {
  const rows = await count('results');
  const events = await drainTopic(kafka, topics.results, {
    expected: rows,
    settleMs: 2000,
    timeoutMs: 120_000,
  });
  const keys = new Set(events.map((e) => e.key));
  const stored = await sql`select job_id from results`;
  const withoutEvent = stored.filter((r) => !keys.has(r.job_id as string)).length;
  const byStatus = await sql`select status, count(*)::int as n from webhook_deliveries group by status`;
  return {
    resultRows: rows,
    resultEvents: events.length,
    distinctEventKeys: keys.size,
    rowsWithoutEvent: withoutEvent,
    deliveries: Object.fromEntries(byStatus.map((r) => [r.status as string, r.n as number])),
  };
}

// Phase 1b: the same backlog again, with notify --loop running and a webhook endpoint receiving one
// delivery per result (a local receiver answering 200): evaluate throughput side by side, and how fast
// the deliveries follow.
const withNotify = values.notify ? await notifyPhase() : undefined;

async function notifyPhase() {
  const { createServer } = await import('node:http');
  const { generateSecret } = await import('../lib/webhooks/signing.ts');
  let received = 0;
  const receiver = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      received += 1;
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
  const port = (receiver.address() as { port: number }).port;
  const [owner] =
    await sql`insert into clients (name, api_key_hash) values ('bench-hooks', ${randomUUID()}) returning id`;
  const [hookCv] =
    await sql`insert into uploads (client_id, kind, filename, media_type, size_bytes, sha256, extracted_text)
    values (${owner!.id}, 'cv', 'cv.txt', 'text/plain', 1, 'x', ${text('cv-strong.txt')}) returning id`;
  const [hookProject] =
    await sql`insert into uploads (client_id, kind, filename, media_type, size_bytes, sha256, extracted_text)
    values (${owner!.id}, 'project', 'p.txt', 'text/plain', 1, 'x', ${text('project-report.txt')}) returning id`;
  const [endpoint] = await sql`insert into webhook_endpoints (client_id, url, event_types)
    values (${owner!.id}, ${`http://127.0.0.1:${port}/hook`}, ${['evaluation.completed', 'evaluation.failed']}) returning id`;
  await sql`insert into webhook_secrets (endpoint_id, secret) values (${endpoint!.id}, ${generateSecret()})`;
  // The notify group starts where the results topic ends: the drain's events above are for a client with
  // no endpoint, and reading them first (a notify deployed fresh, catching up on history) is not the delay
  // a running notify adds to a result. (Before, it read them first: the full run's p99 of 25–33 s.)
  await admin.setOffsets({
    groupId: `${run}-notify`,
    topic: topics.results,
    partitions: (await admin.fetchTopicOffsets(topics.results)).map((p) => ({
      partition: p.partition,
      offset: p.high,
    })),
  });
  const notifier = evaluator(true, 'notify', {
    KAFKA_NOTIFY_GROUP: `${run}-notify`,
    KAFKA_TOPIC_NOTIFY_DLQ: `${run}-notify-dlq`,
    WEBHOOKS_ALLOW_PRIVATE: 'true',
    NOTIFY_LOOP_PAUSE_MS: '200',
  });
  progress(`notify on: queueing ${JOBS} more jobs for a client with a webhook endpoint`);
  await enqueue(JOBS, { client: owner!.id, cv: hookCv!.id, project: hookProject!.id });
  const t0 = performance.now();
  const runners = pool(Number(values.invocations));
  await waitFor('results stored', 2 * JOBS, () => count('results'));
  const seconds = (performance.now() - t0) / 1000;
  await runners.stop();
  const delivered = async () =>
    Number((await sql`select count(*)::int as n from webhook_deliveries where status = 'delivered'`)[0]!.n);
  await waitFor('webhooks delivered', JOBS, delivered);
  const deliverSeconds = (performance.now() - t0) / 1000;
  const [delay] = await sql`
    select percentile_cont(0.5) within group (order by extract(epoch from d.first_attempt_at - r.created_at)) * 1000 as p50,
           percentile_cont(0.99) within group (order by extract(epoch from d.first_attempt_at - r.created_at)) * 1000 as p99
    from webhook_deliveries d join results r on r.job_id = d.job_id`;
  notifier.child.kill('SIGTERM');
  await notifier.done;
  receiver.close();
  const check = await audit();
  progress(`results topic vs PostgreSQL, deliveries: ${JSON.stringify(check)}`);
  const figures = {
    jobsPerSec: Math.round(JOBS / seconds),
    deliveriesPerSec: Math.round(JOBS / deliverSeconds),
    received,
    firstAttemptDelayP50Ms: Math.round(Number(delay!.p50)),
    firstAttemptDelayP99Ms: Math.round(Number(delay!.p99)),
    audit: check,
  };
  progress(
    `notify off: ${jobsPerSec} jobs/s · notify on: ${figures.jobsPerSec} jobs/s, ${figures.deliveriesPerSec} deliveries/s ` +
      `(${received} received), result → first attempt p50 ${figures.firstAttemptDelayP50Ms} ms, p99 ${figures.firstAttemptDelayP99Ms} ms`,
  );
  return figures;
}

// Phase 1c: the pipeline alone. The same backlog once more, drained the same way, but each invocation's
// offline provider answers the same documents once and replays that answer after
// (scripts/bench/replayed-provider.ts). The evaluator's own CPU leaves the drain, and what is left is what
// the pipeline itself costs: Kafka, PostgreSQL, the engine, the checks of every answer and the outcome
// write. On two cores the offline evaluator alone takes more than the 2,000 jobs/s goal allows; this is
// the rate the rest reaches, with its own CPU per job and audit. A floor, not a remote model's cost: with
// one, an invocation also redacts the texts and runs the offline cross-check.
const alone = values['pipeline-alone'] ? await pipelineAlonePhase() : undefined;

async function pipelineAlonePhase() {
  const before = await count('results');
  progress(`pipeline alone: queueing ${JOBS} more jobs, each evaluator replaying its first answers`);
  await enqueue(JOBS);
  const meter = evaluateCpuMeter();
  const t0 = performance.now();
  const replay = fileURLToPath(new URL('./bench/replayed-provider.ts', import.meta.url));
  const statsDir = mkdtempSync(join(tmpdir(), 'bench-replay-'));
  const runners = pool(Number(values.invocations), ['--import', replay], { BENCH_REPLAY_STATS: statsDir });
  await waitFor('results stored', before + JOBS, () => count('results'));
  const seconds = (performance.now() - t0) / 1000;
  const cpu = meter?.stop(JOBS);
  await runners.stop();
  // what each invocation's provider answered and replayed: a replay that never took effect would
  // measure the offline drain again under another name
  const replays = { answered: 0, replayed: 0 };
  for (const f of readdirSync(statsDir)) {
    const s = JSON.parse(readFileSync(join(statsDir, f), 'utf8')) as typeof replays;
    replays.answered += s.answered;
    replays.replayed += s.replayed;
  }
  rmSync(statsDir, { recursive: true, force: true });
  if (replays.replayed === 0 || replays.replayed < replays.answered)
    throw new Error(`pipeline alone: the replay did not take effect (${JSON.stringify(replays)})`);
  const check = await audit();
  const figures = {
    jobsPerSec: Math.round(JOBS / seconds),
    replays,
    cpuPerJob: cpu ?? 'not measured (no /proc)',
    evaluatedPerInvocation: runners.reports.map((i) => i.jobs?.evaluated ?? 0),
    audit: check,
  };
  const m = cpu?.msPerJob;
  progress(
    `pipeline alone: ${figures.jobsPerSec} jobs/s` +
      (cpu && m
        ? `; CPU per job (ms): evaluate ${m.evaluate}, PostgreSQL ${m.postgres}, Kafka ${m.kafka}, ` +
          `bench ${m.bench}, other ${m.other} = ${m.total}; ceiling ${cpu.ceilingJobsPerSec} jobs/s`
        : '') +
      `; ${replays.replayed} answers replayed, ${replays.answered} given; results topic vs PostgreSQL: ${JSON.stringify(check)}`,
  );
  return figures;
}

// Phase 2: steady load against one evaluator in --loop mode; latency = job accepted → result stored.
const rate = Number(values.rate);
const seconds = Number(values.seconds);
progress(`steady load: ${rate} jobs/s for ${seconds} s against evaluate --loop`);
// Steady state is measured once the evaluator has joined and answered: jobs first, timed on their own
// (its start-up, the group join, the first evaluations' JIT, and each partition's establishment — fenced
// and its offset read on its first record), then the steady load. 100 jobs: every one of 12 partitions
// then almost surely carries one (12 × (11/12)^100 ≈ 0.2 % that one does not); with 10, the partitions
// they missed were established during the steady load's first second (by the evaluator's log).
const WARM_UP_JOBS = 100;
const before = await count('results');
const loopStarted = performance.now();
const loop = evaluator(true);
await enqueue(WARM_UP_JOBS);
await waitFor('warm-up results stored', before + WARM_UP_JOBS, () => count('results'), 50);
const warmUpMs = Math.round(performance.now() - loopStarted);
progress(`evaluate --loop answered its first ${WARM_UP_JOBS} jobs ${warmUpMs} ms after it was started`);
const phase2From = new Date();
for (let s = 0; s < seconds * 10; s++) {
  const tick = performance.now();
  await enqueue(Math.round(rate / 10));
  await new Promise((r) => setTimeout(r, Math.max(0, 100 - (performance.now() - tick))));
}
const expected = before + WARM_UP_JOBS + Math.round(rate / 10) * seconds * 10;
await waitFor('results stored', expected, () => count('results'), 1000);
loop.child.kill('SIGTERM');
const loopInvocations = await loop.done;
const [lat] = await sql`
  select percentile_cont(0.5) within group (order by extract(epoch from r.created_at - j.created_at)) * 1000 as p50,
         percentile_cont(0.99) within group (order by extract(epoch from r.created_at - j.created_at)) * 1000 as p99
  from results r join jobs j on j.id = r.job_id where j.created_at >= ${phase2From}`;
const p50Ms = Math.round(Number(lat!.p50));
const p99Ms = Math.round(Number(lat!.p99));
progress(`latency under steady load: p50 ${p50Ms} ms, p99 ${p99Ms} ms`);

await publisher.close();
await admin.deleteTopics({ topics: [...Object.values(topics), `${run}-notify-dlq`] }).catch(() => {});
await admin.disconnect();
await sql.end();
await dropDatabases(stack.databaseUrl, dbName);
await stack.stop();
const figures = {
  benchmark: 'pipeline',
  jobs: JOBS,
  invocations: Number(values.invocations),
  jobsPerSec,
  notify: withNotify ? { off: { jobsPerSec }, on: withNotify } : 'not run (--no-notify)',
  pipelineAlone: alone ?? 'not run (--no-pipeline-alone)',
  providerCost,
  // CPU per evaluation in this process: answers replayed (the checks alone), and as a remote model's
  evaluationCpuMsPerJob: {
    replayed: evaluationCost.replayed.cpuMsPerJob,
    replayedAsRemoteModel: evaluationCost.replayedAsRemoteModel.cpuMsPerJob,
  },
  providerJobsPerSecPerCore: Math.round(1000 / providerCost.cpuMsPerJob),
  // the drain rate as a fraction of what the provider alone could do on every core of this machine
  fractionOfProvider: Number(
    (jobsPerSec / ((1000 / providerCost.cpuMsPerJob) * availableParallelism())).toFixed(3),
  ),
  stagesMsPerJob,
  cpuPerJob: cpuPerJob ?? 'not measured (no /proc)',
  evaluatedPerInvocation,
  drainSeconds: Number(drainSeconds.toFixed(1)),
  steadyRate: rate,
  warmUpMs,
  latencyP50Ms: p50Ms,
  latencyP99Ms: p99Ms,
  peakRssMbPerInvocation: Math.max(peakRssMb, ...loopInvocations.map((i) => i.maxRssMb)),
  goals: { jobsPerSec: 2000, latencyP99Ms: 250, rssMb: 200 },
};
process.stdout.write(
  `\n${jobsPerSec} jobs/s · p50 ${p50Ms} ms · p99 ${p99Ms} ms · peak RSS ${figures.peakRssMbPerInvocation} MB` +
    (alone ? ` · pipeline alone ${alone.jobsPerSec} jobs/s` : '') +
    '\n',
);
process.stdout.write(`${JSON.stringify(figures)}\n`);
process.exit(0);
