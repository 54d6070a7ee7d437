// The exactly-once verifier, modelled on Apache Kafka's transactions system test: real submit and
// evaluate processes on the real stack, a client that drives jobs over HTTP (retrying with the same
// Idempotency-Key after timeouts and 5xx), faults injected while it runs (SIGKILL and SIGTERM of
// evaluators, SIGSTOP/SIGCONT zombies, SIGKILL of submit, hard broker bounces), then an independent
// check of G1–G6 over PostgreSQL and a fresh read_committed consumer.
import { type ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import postgres from 'postgres';
import { isAlive } from '../../infra/native/kafka.ts';
import { readState, restartBroker, stackDown, stackUp } from '../../infra/native/stack.ts';
import { createClient } from '../../lib/db/api-clients.ts';
import { closeDatabase, createDatabase } from '../../lib/db/database.ts';
import type { ResultRow } from '../../lib/db/effects.ts';
import { migrateDatabase } from '../../lib/db/migrate.ts';
import { createKafka } from '../../lib/kafka/client.ts';
import { createTopicsAndWait } from '../../lib/kafka/topics.ts';
import type { DeliveryMode } from '../../lib/kafka/types.ts';
import { resultEvent } from '../../lib/records/result-event.ts';
import { drainTopic } from '../helpers/kafka.ts';
import { type Accepted, checkGuarantees, countByKind, type Violation } from './checks.ts';
import { chaosSchedule, type Fault, seededRandom } from './schedule.ts';

export interface VerifyOptions {
  jobs: number;
  evaluators: number;
  submits: number;
  brokers: 1 | 3;
  killEvaluators: number;
  stopEvaluators: number;
  pauseEvaluators: number;
  killSubmit: number;
  bounceBrokers: number;
  poison: number;
  seed: number;
  unsafe?: DeliveryMode;
  concurrency: number;
  offlineDelayMs: number;
  drainTimeoutMs: number;
  /** keep the run's database and topics for inspection */
  keep?: boolean;
}

const root = fileURLToPath(new URL('../../', import.meta.url));
const log = (m: string) => process.stderr.write(`[verify ${new Date().toISOString().slice(11, 19)}] ${m}\n`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Managed {
  name: string;
  child?: ChildProcess;
  restarts: number;
}

export async function verify(o: VerifyOptions) {
  const started = Date.now();
  const run = `verify-${o.seed}-${randomUUID().slice(0, 4)}`;
  const random = seededRandom(o.seed ^ 0x5eed);
  const schedule = chaosSchedule(o.seed, {
    killEvaluators: o.killEvaluators,
    stopEvaluators: o.stopEvaluators,
    pauseEvaluators: o.pauseEvaluators,
    killSubmit: o.killSubmit,
    bounceBrokers: o.bounceBrokers,
    evaluators: o.evaluators,
    submits: o.submits,
    brokers: o.brokers,
  });
  log(
    `run ${run}: ${o.jobs} jobs, ${o.evaluators} evaluators, ${o.submits} submit, ${o.brokers} broker(s), mode ${o.unsafe ?? 'exactly-once'}`,
  );
  log(
    `schedule (seed ${o.seed}): ${schedule.map((f) => `${f.kind}#${f.target}@${Math.round(f.at * 100)}%`).join(' ') || 'no faults'}`,
  );

  // The stack: the running native stack when it has the right size, else one started here.
  let startedStack = false;
  let state = readState();
  const usable =
    state?.mode === 'native' &&
    state.brokers.length === o.brokers &&
    state.brokers.every((b) => isAlive(b.pid));
  if (!usable) {
    if (state && state.brokers.some((b) => isAlive(b.pid))) {
      throw new Error(
        `a stack with ${state.brokers.length} broker(s) is running; stop it or ask for --brokers ${state.brokers.length}`,
      );
    }
    state = await stackUp({ brokers: o.brokers, mode: 'native' });
    startedStack = true;
  }
  const stack = state!;
  const dbUrl = new URL(stack.databaseUrl);
  dbUrl.pathname = `/cv_${run.replace(/-/g, '_')}`;
  await migrateDatabase(dbUrl.toString());
  const db = createDatabase(dbUrl.toString(), { poolSize: 2 });
  const client = await createClient(db, 'verifier');
  const topics = { jobs: `${run}-jobs`, results: `${run}-results`, dlq: `${run}-dlq` };
  const kafka = createKafka({ brokers: stack.kafkaBrokers, clientId: run });
  const admin = kafka.admin();
  await admin.connect();
  await createTopicsAndWait(admin, Object.values(topics), { partitions: 12, replicationFactor: o.brokers });
  await admin.disconnect();

  const env = {
    ...process.env,
    NODE_OPTIONS: process.env.NODE_OPTIONS ?? '--max-semi-space-size=4',
    APP_NAME: run,
    DATABASE_URL: dbUrl.toString(),
    DATABASE_POOL_SIZE: '8',
    KAFKA_BROKERS: stack.kafkaBrokers.join(','),
    KAFKA_TOPIC_JOBS: topics.jobs,
    KAFKA_TOPIC_RESULTS: topics.results,
    KAFKA_TOPIC_DLQ: topics.dlq,
    KAFKA_REPLICATION_FACTOR: String(o.brokers),
    KAFKA_EVALUATE_GROUP: `${run}-evaluate`,
    KAFKA_DELIVERY_MODE: o.unsafe ?? 'exactly-once',
    EVALUATE_SESSION_TIMEOUT_MS: '6000',
    EVALUATE_MAX_IDLE_MS: '4000',
    SWEEP_UNPUBLISHED_AFTER_MS: '5000',
    OFFLINE_PROVIDER_DELAY_MS: String(o.offlineDelayMs),
    // debug: the engine's "handling batch" lines tell the verifier when an evaluator is mid-work
    LOG_LEVEL: 'debug',
  };

  // --- processes -------------------------------------------------------------------------------
  let stopping = false;
  const counters = {
    fenced: 0,
    fencedLines: 0,
    txErrors: 0,
    joins: 0,
    invocations: 0,
    swept: 0,
    evaluatorExits: 0,
  };
  const joinWaiters: (() => void)[] = [];
  const busyWaiters = new Map<ChildProcess, () => void>();
  const evaluators: Managed[] = Array.from({ length: o.evaluators }, (_, i) => ({
    name: `evaluate-${i}`,
    restarts: 0,
  }));
  const submits: (Managed & { port: number })[] = Array.from({ length: o.submits }, (_, i) => ({
    name: `submit-${i}`,
    port: 18200 + i,
    restarts: 0,
  }));

  const watch = (child: ChildProcess) => {
    let buffer = '';
    child.on('exit', () => busyWaiters.get(child)?.());
    child.stdout!.on('data', (c: Buffer) => {
      buffer += c.toString();
      const lines = buffer.split('\n');
      buffer = lines.pop() ?? '';
      for (const line of lines) {
        if (line.includes('"msg":"handling batch"')) busyWaiters.get(child)?.();
        if (line.includes('"msg":"fenced: another instance owns this partition now"'))
          counters.fencedLines += 1;
        if (line.includes('"msg":"transaction failed; re-establishing the partition"')) {
          counters.txErrors += 1;
          if (counters.txErrors <= 3) log(`transaction error: ${line.slice(0, 400)}`);
        }
        if (line.includes('"msg":"joined group"')) {
          counters.joins += 1;
          for (const w of joinWaiters.splice(0)) w();
        }
        if (line.includes('"invocation finished"')) {
          counters.invocations += 1;
          const inv = JSON.parse(line).invocation as { fenced: number; swept: number };
          counters.fenced += inv.fenced;
          counters.swept += inv.swept;
        }
      }
    });
  };

  const startEvaluator = (slot: Managed) => {
    // Budgets vary so invocations start and end at different times (every start and stop is a rebalance).
    const child = spawn(process.execPath, ['functions/evaluate/index.ts'], {
      cwd: root,
      env: {
        ...env,
        EVALUATE_MAX_DURATION_MS: String(4000 + Math.floor(random() * 8000)),
        INSTANCE_ID: `${run}-${slot.name}`,
      },
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    slot.child = child;
    watch(child);
    child.on('exit', () => {
      counters.evaluatorExits += 1;
      if (slot.child === child) slot.child = undefined;
      if (!stopping) setTimeout(() => !stopping && !slot.child && startEvaluator(slot), 200);
    });
  };
  const startSubmit = (s: Managed & { port: number }) => {
    const child = spawn(process.execPath, ['functions/submit/index.ts'], {
      cwd: root,
      env: { ...env, PORT: String(s.port), HOST: '127.0.0.1', INSTANCE_ID: `${run}-${s.name}` },
      stdio: ['ignore', 'ignore', 'ignore'],
    });
    s.child = child;
    child.on('exit', () => {
      if (s.child === child) s.child = undefined;
      if (!stopping) setTimeout(() => !stopping && !s.child && startSubmit(s), 500);
    });
  };
  for (const s of submits) startSubmit(s);
  for (const e of evaluators) startEvaluator(e);
  for (const s of submits) {
    for (let i = 0; i < 100; i++) {
      if (
        await fetch(`http://127.0.0.1:${s.port}/healthz`).then(
          (r) => r.ok,
          () => false,
        )
      )
        break;
      await sleep(200);
    }
  }

  // --- uploads and poison ----------------------------------------------------------------------
  const submitUrl = () => {
    const live = submits.filter((s) => s.child);
    return `http://127.0.0.1:${(live[Math.floor(Math.random() * live.length)] ?? submits[0]!).port}`;
  };
  const auth = { authorization: `Bearer ${client.apiKey}` };
  const uploads: { cv_id: string; project_id: string }[] = [];
  for (let i = 0; i < 4; i++) {
    const form = new FormData();
    form.append(
      'cv',
      new Blob([
        `Candidate ${i}: senior engineer, ${3 + i} years of TypeScript, Kafka and PostgreSQL; led a team.`,
      ]),
      'cv.txt',
    );
    form.append(
      'project',
      new Blob([`Report ${i}: endpoints, asynchronous queue, retries with backoff, README, tests.`]),
      'report.txt',
    );
    for (;;) {
      const res = await fetch(`${submitUrl()}/v1/upload`, {
        method: 'POST',
        headers: auth,
        body: form,
      }).catch(() => undefined);
      if (res?.status === 201) {
        uploads.push((await res.json()) as { cv_id: string; project_id: string });
        break;
      }
      await sleep(500);
    }
  }
  const poisonMarkers = Array.from({ length: o.poison }, (_, i) => `poison-${run}-${i}`);
  if (o.poison) {
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({
      topic: topics.jobs,
      messages: poisonMarkers.map((m) => ({ key: m, value: `{"not":"a job request","marker":"${m}"}` })),
    });
    await producer.disconnect();
  }

  // --- faults ----------------------------------------------------------------------------------
  const applied: { kind: string; target: number; at: string }[] = [];
  const pending = [...schedule];
  const faultsInFlight: Promise<void>[] = [];
  let bounces: Promise<void> = Promise.resolve();
  const apply = async (f: Fault) => {
    applied.push({ kind: f.kind, target: f.target, at: `${Math.round(f.at * 100)}%` });
    const e = evaluators[f.target % evaluators.length]!;
    switch (f.kind) {
      case 'kill-evaluator':
        log(`SIGKILL ${e.name}`);
        e.child?.kill('SIGKILL');
        break;
      case 'stop-evaluator':
        log(`SIGTERM ${e.name}`);
        e.child?.kill('SIGTERM');
        break;
      case 'pause-evaluator': {
        const child = e.child;
        if (!child) break;
        // Freeze it mid-work: right when it starts handling a batch (or after 10 s, whatever it does).
        await Promise.race([new Promise<void>((r) => busyWaiters.set(child, r)), sleep(10_000)]);
        busyWaiters.delete(child);
        // Half-way through its work (three provider steps), so that once resumed it commits quickly.
        await sleep(Math.round(1.5 * o.offlineDelayMs));
        if (child.exitCode !== null) break;
        // A zombie: frozen until the group has moved its partitions to others, then resumed just as the
        // new owners start on them — the moment a wrong protocol lets its late commit through.
        log(`SIGSTOP ${e.name} (zombie)`);
        child.kill('SIGSTOP');
        const joined = new Promise<void>((r) => joinWaiters.push(r));
        await Promise.race([sleep(6500).then(() => joined), sleep(20_000)]);
        await sleep(Math.round(f.resumeDelayMs / 2));
        log(`SIGCONT ${e.name}`);
        child.kill('SIGCONT');
        break;
      }
      case 'kill-submit': {
        const s = submits[f.target % submits.length]!;
        log(`SIGKILL ${s.name}`);
        s.child?.kill('SIGKILL');
        break;
      }
      case 'bounce-broker': {
        // One broker at a time: the next bounce waits until the previous broker is back and serving.
        const id = (f.target % o.brokers) + 1;
        bounces = bounces.then(async () => {
          log(`hard bounce of broker ${id}`);
          await restartBroker(id, true).catch((err) => log(`broker bounce failed: ${err.message}`));
        });
        await bounces;
        break;
      }
    }
  };

  // --- the client --------------------------------------------------------------------------------
  const accepted = new Map<string, Accepted>();
  let nextJob = 0;
  let gaveUp = 0;
  let requests = 0;
  const answers: Record<string, number> = {};
  const driver = async () => {
    for (;;) {
      const i = nextJob++;
      if (i >= o.jobs) return;
      const key = `${run}-job-${i}`;
      const u = uploads[i % uploads.length]!;
      const body = JSON.stringify({ cv_id: u.cv_id, project_id: u.project_id });
      const deadline = Date.now() + 180_000;
      for (let attempt = 0; ; attempt++) {
        requests += 1;
        const res = await fetch(`${submitUrl()}/v1/evaluate`, {
          method: 'POST',
          headers: { ...auth, 'content-type': 'application/json', 'idempotency-key': key },
          body,
          signal: AbortSignal.timeout(10_000),
        }).catch(
          (err: Error) => ({ status: err.name === 'TimeoutError' ? 'timeout' : 'conn-error' }) as const,
        );
        const status = typeof res.status === 'number' ? res.status : res.status;
        answers[String(status)] = (answers[String(status)] ?? 0) + 1;
        if (typeof status === 'number' && status >= 200 && status < 300) {
          const { id } = (await (res as Response).json()) as { id: string };
          const a = accepted.get(key) ?? { key, ids: [] };
          a.ids.push(id);
          accepted.set(key, a);
          break;
        }
        if (typeof status === 'number' && status < 500 && status !== 409) {
          log(`job ${i}: unexpected ${status}: ${await (res as Response).text()}`);
          break;
        }
        if (Date.now() > deadline) {
          gaveUp += 1;
          break;
        }
        await sleep(Math.min(2000, 100 * 2 ** Math.min(attempt, 5)));
      }
      while (pending.length && accepted.size >= pending[0]!.at * o.jobs)
        faultsInFlight.push(apply(pending.shift()!));
    }
  };
  const progress = setInterval(() => {
    log(
      `accepted ${accepted.size}/${o.jobs} · requests ${requests} · faults ${applied.length}/${schedule.length} · invocations ${counters.invocations} · fenced ${counters.fenced}`,
    );
  }, 5000);
  await Promise.all(Array.from({ length: o.concurrency }, driver));
  for (const f of pending.splice(0)) faultsInFlight.push(apply(f));
  await Promise.all(faultsInFlight);
  const submittedAt = Date.now();
  log(`all ${o.jobs} jobs submitted (${accepted.size} accepted, ${gaveUp} given up); draining`);

  // --- drain -------------------------------------------------------------------------------------
  const sql = postgres(dbUrl.toString(), { max: 2, onnotice: () => {} });
  const acceptedIds = () => [...new Set([...accepted.values()].flatMap((a) => a.ids))];
  for (;;) {
    const [row] =
      await sql`select count(*)::int as n from jobs where id = any(${acceptedIds()}::uuid[]) and status in ('completed', 'failed')`;
    const done = row!.n as number;
    if (done >= acceptedIds().length) break;
    if (Date.now() - submittedAt > o.drainTimeoutMs) {
      log(`drain timed out with ${acceptedIds().length - done} jobs not terminal`);
      break;
    }
    log(`terminal ${done}/${acceptedIds().length}`);
    await sleep(2000);
  }
  clearInterval(progress);
  stopping = true;
  const all = [...evaluators, ...submits].map((m) => m.child).filter((c): c is ChildProcess => !!c);
  for (const c of all) c.kill('SIGCONT');
  for (const c of all) c.kill('SIGTERM');
  await Promise.race([
    Promise.all(all.map((c) => new Promise((r) => (c.exitCode !== null ? r(null) : c.on('exit', r))))),
    sleep(30_000),
  ]);
  for (const c of all) if (c.exitCode === null) c.kill('SIGKILL');

  // --- independent checks ----------------------------------------------------------------------
  log('checking G1–G6 with a fresh read_committed consumer and SQL');
  const jobs = await sql`select id, idempotency_key, status from jobs`;
  const resultRows = (await db.query.results.findMany()) as ResultRow[];
  const storedEvents = new Map(resultRows.map((r) => [r.jobId, JSON.stringify(resultEvent(r))]));
  const dupRows = await sql`select job_id from results group by job_id having count(*) > 1`;
  const events = await drainTopic(kafka, topics.results, {
    expected: resultRows.length,
    settleMs: 3000,
    timeoutMs: 180_000,
  });
  const dlq = await drainTopic(kafka, topics.dlq, { expected: o.poison, settleMs: 1000 });
  const requestRecords = await drainTopic(kafka, topics.jobs, { settleMs: 1000, timeoutMs: 180_000 });
  const violations: Violation[] = checkGuarantees({
    accepted: [...accepted.values()],
    jobs: jobs.map((j) => ({ id: j.id, idempotencyKey: j.idempotency_key, status: j.status })),
    storedEvents,
    duplicateResultRows: dupRows.map((r) => r.job_id),
    events: events.map((e) => ({ key: e.key, value: e.value })),
    poisonInjected: poisonMarkers,
    poisonInDlq: dlq.map((r) => r.key ?? ''),
  });
  await sql.end();
  await closeDatabase(db);
  if (!o.keep) {
    const cleanup = kafka.admin();
    await cleanup.connect();
    await cleanup.deleteTopics({ topics: Object.values(topics) }).catch(() => {});
    await cleanup.disconnect();
    const adminUrl = new URL(dbUrl.toString());
    adminUrl.pathname = '/postgres';
    const a = postgres(adminUrl.toString(), { max: 1, onnotice: () => {} });
    await a.unsafe(`drop database if exists "${dbUrl.pathname.slice(1)}" with (force)`).catch(() => {});
    await a.end();
  }
  if (startedStack) await stackDown();

  const durationS = (Date.now() - started) / 1000;
  const perJob = new Map<string, number>();
  for (const r of requestRecords) perJob.set(r.key ?? '', (perJob.get(r.key ?? '') ?? 0) + 1);
  const report = {
    run,
    seed: o.seed,
    mode: o.unsafe ?? 'exactly-once',
    brokers: o.brokers,
    jobs: o.jobs,
    accepted: accepted.size,
    gaveUp,
    requests,
    answers,
    completed: jobs.filter((j) => j.status === 'completed').length,
    failed: jobs.filter((j) => j.status === 'failed').length,
    resultEvents: events.length,
    dlqRecords: dlq.length,
    duplicateRequestRecords: [...perJob.values()].filter((n) => n > 1).length,
    faults: countKinds(applied.map((a) => a.kind)),
    invocations: counters.invocations,
    fencedTransactions: counters.fencedLines,
    transactionErrors: counters.txErrors,
    sweptJobs: counters.swept,
    violations: violations.length,
    violationsByKind: countByKind(violations),
    examples: violations.slice(0, 5),
    durationS: Number(durationS.toFixed(1)),
    jobsPerSec: Number((accepted.size / durationS).toFixed(1)),
  };
  // A run that accepted little or skipped faults proves little: say so, and fail.
  const sane = accepted.size >= 0.95 * o.jobs && applied.length === schedule.length;
  return { report: { ...report, sane }, violations };
}

function countKinds(kinds: string[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const k of kinds) out[k] = (out[k] ?? 0) + 1;
  return out;
}
