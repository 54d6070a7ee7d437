// npm start — brings up the whole system locally: the stack (Redpanda and PostgreSQL from docker compose
// when a Docker engine answers, otherwise native Apache Kafka + PostgreSQL), migrations, the topics, an API
// key for local use, then the submit function on :8080 (the API and the console) and the evaluate and
// notify functions in --loop mode, in the foreground, whichever stack it is. Ctrl-C stops the functions
// (SIGTERM, as a platform would); `npm run stack:down` stops the stack.
//
// With KAFKA_BROKERS and DATABASE_URL both set, the stack they name is used as it is (nothing is started
// or stopped): a second checkout beside a running one, or a shared development stack.
//
// On a terminal the functions' JSON logs are shown as readable lines; otherwise they pass through as JSON.
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { parseArgs } from 'node:util';
import { stackDir } from '../infra/native/paths.ts';
import { postgresAnswers } from '../infra/native/postgres.ts';
import { done, step } from '../infra/native/progress.ts';
import { redact, stackUp } from '../infra/native/stack.ts';
import { loadConfigOrExit } from '../lib/config.ts';
import { createClient, findClientByKey } from '../lib/db/api-clients.ts';
import { closeDatabase, createDatabase } from '../lib/db/database.ts';
import { migrateDatabase } from '../lib/db/migrate.ts';
import { createKafka } from '../lib/kafka/client.ts';
import { ensureTopics } from '../lib/kafka/topics.ts';
import { RESULTS_TOPIC_SETTINGS } from '../lib/records/result-event.ts';
import { prettyLine } from '../lib/telemetry/pretty.ts';
import { functionRuntimeEnv } from '../lib/util/function-runtime.ts';

const { values } = parseArgs({
  options: {
    brokers: { type: 'string', default: '1' },
    port: { type: 'string', default: process.env.PORT || '8080' },
  },
});

const host = process.env.HOST || '127.0.0.1';

/**
 * Whether submit can listen where it will. Something already there (another `npm start`) would answer the
 * banner's readiness check while this submit dies on EADDRINUSE, and this start's evaluator would join the
 * running one's consumer group: refuse before anything starts.
 */
function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = createServer();
    probe.once('error', () => resolve(false));
    probe.listen(port, host, () => probe.close(() => resolve(true)));
  });
}

if (!(await portFree(Number(values.port)))) {
  process.stderr.write(
    `port ${values.port} on ${host} is in use (another npm start?): stop what listens there, or start with PORT=<another port>\n`,
  );
  process.exit(1);
}

// One npm start per stack: a second one (on another PORT) would start a second set of functions joining
// the same consumer groups (found from outside: the port refusal's own advice led there).
const lockFile = `${stackDir}/npm-start.pid`;
mkdirSync(stackDir, { recursive: true });
// created exclusively ('wx'): of two starts at the same moment one takes it; a lock whose process is
// gone is taken over
for (;;) {
  try {
    writeFileSync(lockFile, `${process.pid} ${values.port}\n`, { flag: 'wx' });
    break;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  }
  const running = Number(readFileSync(lockFile, 'utf8').split(' ')[0]);
  if (running > 0 && running !== process.pid && runs(running, 'scripts/local.ts')) {
    process.stderr.write(
      `npm start is already running for this stack (pid ${running}): its functions serve it, and a second set ` +
        'would join the same consumer groups. Stop it first (Ctrl-C there), or give a second stack its own ' +
        'STACK_DIR and STACK_PORT_BASE\n',
    );
    process.exit(1);
  }
  rmSync(lockFile, { force: true });
}
process.on('exit', () => {
  if (existsSync(lockFile) && Number(readFileSync(lockFile, 'utf8').split(' ')[0]) === process.pid)
    rmSync(lockFile, { force: true });
});

/** Whether a process is alive and its command line names `script` (Linux /proc; elsewhere: alive). */
function runs(pid: number, script: string): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(script);
  } catch {
    return !existsSync('/proc');
  }
}

async function givenStack() {
  const databaseUrl = process.env.DATABASE_URL!;
  const kafkaBrokers = process.env.KAFKA_BROKERS!.split(',').map((b) => b.trim());
  step(`using the stack given by KAFKA_BROKERS (${kafkaBrokers.join(',')}) and DATABASE_URL`);
  if (!(await postgresAnswers(databaseUrl)))
    throw new Error(`no PostgreSQL answers at ${redact(databaseUrl)}`);
  await migrateDatabase(databaseUrl);
  done(`PostgreSQL at ${redact(databaseUrl)} migrated`);
  return { mode: 'given' as const, databaseUrl, kafkaBrokers, brokers: kafkaBrokers };
}

const state =
  process.env.KAFKA_BROKERS && process.env.DATABASE_URL
    ? await givenStack()
    : await stackUp({ brokers: Number(values.brokers), databaseUrl: process.env.DATABASE_URL || undefined });

// The Docker stack is Redpanda, PostgreSQL and the console only (stackUp starts no function container):
// the functions run here, as on the native stack. It used to exit at this point, saying compose ran
// submit and evaluate, which nothing had started.
const env: NodeJS.ProcessEnv = {
  ...process.env,
  ...functionRuntimeEnv(),
  DATABASE_URL: state.databaseUrl,
  KAFKA_BROKERS: state.kafkaBrokers.join(','),
  KAFKA_REPLICATION_FACTOR: process.env.KAFKA_REPLICATION_FACTOR || (state.brokers.length >= 3 ? '3' : '1'),
  PORT: values.port,
  HOST: host,
  PUBLIC_BASE_URL: process.env.PUBLIC_BASE_URL || `http://127.0.0.1:${values.port}`,
  // a local receiver (on this machine) is the usual webhook target during development
  WEBHOOKS_ALLOW_PRIVATE: process.env.WEBHOOKS_ALLOW_PRIVATE || 'true',
  // the functions write JSON to our pipes; this script decides how it is shown
  LOG_FORMAT: 'json',
};
const config = loadConfigOrExit(env);

// Topics first, once: submit and evaluate would otherwise race to create them on a fresh broker.
const kafka = createKafka({ brokers: config.kafka.brokers, clientId: `${config.appName}-local` });
const t = config.kafka.topics;
await ensureTopics(kafka, [t.jobs, t.results, t.dlq], {
  partitions: config.kafka.partitions,
  replicationFactor: config.kafka.replicationFactor,
  settings: { [t.results]: RESULTS_TOPIC_SETTINGS },
});
done(`topics ${t.jobs}, ${t.results}, ${t.dlq} ready`);

// A local API key, kept in the cache so the README's curl session works after every start.
mkdirSync(stackDir, { recursive: true });
const keyFile = `${stackDir}/local-api-key`;
const db = createDatabase(state.databaseUrl, { poolSize: 1 });
let apiKey = existsSync(keyFile) ? readFileSync(keyFile, 'utf8').trim() : '';
if (!apiKey || !(await findClientByKey(db, apiKey))) {
  apiKey = (await createClient(db, 'local')).apiKey;
  writeFileSync(keyFile, `${apiKey}\n`, { mode: 0o600 });
}
await closeDatabase(db);

const pretty = process.stdout.isTTY === true;
const color = pretty && process.stdout.hasColors();
const children = new Map<string, ChildProcess>();
const restarts = new Map<string, number>();
let stopping = false;
function start(name: string, args: string[]): void {
  const startedAt = Date.now();
  const child = spawn(process.execPath, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
  for (const stream of [child.stdout!, child.stderr!]) {
    let buffer = '';
    stream.on('data', (chunk: Buffer) => {
      buffer += chunk.toString();
      const lines = buffer.split('\n');
      buffer = lines.pop() ?? '';
      for (const line of lines) {
        process.stdout.write(pretty ? `${name.padEnd(8)} ${prettyLine(line, { color })}\n` : `${line}\n`);
      }
    });
  }
  child.on('exit', (code, signal) => {
    if (stopping) {
      process.stderr.write(`${name} exited (${signal ?? code})\n`);
      return;
    }
    // a configuration it refuses (exit 78) stays refused: starting it again would only repeat that
    if (code === 78) {
      process.stderr.write(`${name} exited (${code}): its configuration was refused; stopping\n`);
      shutdown(1);
      return;
    }
    // As a platform restarts a failed container or job (a broker outage outlasting a function's budget
    // ends it with 1): the others keep running, and this one starts again, sooner if it had been up a while.
    const n = Date.now() - startedAt > 60_000 ? 1 : (restarts.get(name) ?? 0) + 1;
    restarts.set(name, n);
    const delayMs = Math.min(30_000, 1_000 * 2 ** (n - 1));
    process.stderr.write(`${name} exited (${signal ?? code}); starting it again in ${delayMs / 1000} s\n`);
    setTimeout(() => {
      if (!stopping) start(name, args);
    }, delayMs);
  });
  children.set(name, child);
}

start('submit', ['functions/submit/index.ts']);
start('evaluate', ['functions/evaluate/index.ts', '--loop']);
start('notify', ['functions/notify/index.ts', '--loop']);

// The banner comes once submit answers, so the first thing tried with it works.
const api = `http://127.0.0.1:${values.port}`;
const deadline = Date.now() + 60_000;
while (!stopping && Date.now() < deadline) {
  if (
    await fetch(`${api}/readyz`).then(
      (r) => r.ok,
      () => false,
    )
  )
    break;
  await new Promise((r) => setTimeout(r, 250));
}
if (!stopping) {
  process.stdout.write(
    `\ncv-evaluator is running (${state.mode} stack)\n` +
      `  API        ${api}\n` +
      `  API docs   ${api}/docs   (OpenAPI: ${api}/openapi.json)\n` +
      `  Console    ${api}/app   (sign in with the API key below)\n` +
      `  API key    ${apiKey}   (kept in ${keyFile})\n` +
      `  Kafka      ${state.kafkaBrokers.join(',')}\n` +
      `  PostgreSQL ${redact(state.databaseUrl)}\n\n` +
      '  Try it (from this directory): upload a CV and a project report\n' +
      `    curl -s -H "Authorization: Bearer ${apiKey}" -F cv=@samples/cv-strong.txt -F project=@samples/project-report.txt ${api}/v1/upload\n\n` +
      `  Ctrl-C stops the functions${state.mode === 'given' ? '' : '; npm run stack:down stops the stack'}\n\n`,
  );
}

function shutdown(code: number): void {
  if (stopping) return;
  stopping = true;
  for (const c of children.values()) c.kill('SIGTERM');
  const killAfter = setTimeout(() => {
    for (const c of children.values()) c.kill('SIGKILL');
  }, 30_000);
  Promise.all(
    // a child that already ended (by a code or a signal) has nothing left to wait for
    [...children.values()].map(
      (c) => new Promise((r) => (c.exitCode !== null || c.signalCode !== null ? r(null) : c.on('exit', r))),
    ),
  ).then(() => {
    clearTimeout(killAfter);
    process.exit(code);
  });
}
process.on('SIGINT', () => shutdown(0));
process.on('SIGTERM', () => shutdown(0));
