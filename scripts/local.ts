// npm start — brings up the whole system locally: the stack (docker compose when a Docker engine answers,
// otherwise native Apache Kafka + PostgreSQL), migrations, an API key for local use, then the submit
// function on :8080 and the evaluate and notify functions in --loop mode, in the foreground with prefixed logs.
// Ctrl-C stops the functions (SIGTERM, as a platform would); `npm run stack:down` stops the stack.
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { stackDir } from '../infra/native/paths.ts';
import { redact, stackUp } from '../infra/native/stack.ts';
import { createClient, findClientByKey } from '../lib/db/api-clients.ts';
import { closeDatabase, createDatabase } from '../lib/db/database.ts';

const { values } = parseArgs({
  options: { brokers: { type: 'string', default: '1' }, port: { type: 'string', default: '8080' } },
});
const state = await stackUp({
  brokers: Number(values.brokers),
  databaseUrl: process.env.DATABASE_URL || undefined,
});

if (state.mode === 'docker') {
  process.stdout.write(
    '\ndocker compose runs submit (:8080) and evaluate: `docker compose -f infra/docker-compose.yml logs -f`\n',
  );
  process.exit(0);
}

// A local API key, kept in the cache so the README's curl session works after every start.
const keyFile = `${stackDir}/local-api-key`;
const db = createDatabase(state.databaseUrl, { poolSize: 1 });
let apiKey = existsSync(keyFile) ? readFileSync(keyFile, 'utf8').trim() : '';
if (!apiKey || !(await findClientByKey(db, apiKey))) {
  apiKey = (await createClient(db, 'local')).apiKey;
  writeFileSync(keyFile, `${apiKey}\n`, { mode: 0o600 });
}
await closeDatabase(db);

const env = {
  ...process.env,
  NODE_OPTIONS: process.env.NODE_OPTIONS ?? '--max-semi-space-size=4',
  DATABASE_URL: state.databaseUrl,
  KAFKA_BROKERS: state.kafkaBrokers.join(','),
  KAFKA_REPLICATION_FACTOR: state.brokers.length >= 3 ? '3' : '1',
  PORT: values.port,
  HOST: '127.0.0.1',
  PUBLIC_BASE_URL: process.env.PUBLIC_BASE_URL || `http://127.0.0.1:${values.port}`,
  // a local receiver (on this machine) is the usual webhook target during development
  WEBHOOKS_ALLOW_PRIVATE: process.env.WEBHOOKS_ALLOW_PRIVATE || 'true',
};
const children: ChildProcess[] = [];
function start(name: string, args: string[]): void {
  const child = spawn(process.execPath, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
  for (const stream of [child.stdout!, child.stderr!]) {
    let buffer = '';
    stream.on('data', (chunk: Buffer) => {
      buffer += chunk.toString();
      const lines = buffer.split('\n');
      buffer = lines.pop() ?? '';
      for (const line of lines) process.stdout.write(`${name.padEnd(8)}| ${line}\n`);
    });
  }
  child.on('exit', (code, signal) => {
    process.stdout.write(`${name.padEnd(8)}| exited (${signal ?? code})\n`);
    if (!stopping) shutdown(1);
  });
  children.push(child);
}

start('submit', ['functions/submit/index.ts']);
start('evaluate', ['functions/evaluate/index.ts', '--loop']);
start('notify', ['functions/notify/index.ts', '--loop']);
process.stdout.write(
  `\nlocal system up (${state.mode} stack)\n` +
    `  API          http://127.0.0.1:${values.port}  (docs: http://127.0.0.1:${values.port}/docs)\n` +
    `  Console      http://127.0.0.1:${values.port}/app  (sign in with the API key below)\n` +
    `  API key      ${apiKey}   (also in ${keyFile})\n` +
    `  Kafka        ${state.kafkaBrokers.join(',')}\n` +
    `  PostgreSQL   ${redact(state.databaseUrl)}\n` +
    '  Ctrl-C stops the functions; npm run stack:down stops the stack\n\n',
);

let stopping = false;
function shutdown(code: number): void {
  if (stopping) return;
  stopping = true;
  for (const c of children) c.kill('SIGTERM');
  const deadline = setTimeout(() => {
    for (const c of children) c.kill('SIGKILL');
  }, 30_000);
  Promise.all(
    children.map((c) => new Promise((r) => (c.exitCode !== null ? r(null) : c.on('exit', r)))),
  ).then(() => {
    clearTimeout(deadline);
    process.exit(code);
  });
}
process.on('SIGINT', () => shutdown(0));
process.on('SIGTERM', () => shutdown(0));
