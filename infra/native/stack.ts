// The local stack as a library: the CLI (scripts/stack.ts) and the test harness both use it.
// Docker engine → docker compose; otherwise the native stack (Apache Kafka jars + PostgreSQL).
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import postgres from 'postgres';
import { migrateDatabase } from '../../lib/db/migrate.ts';
import { compose, dockerEngineAnswers } from './docker.ts';
import {
  type BrokerNode,
  brokerNodes,
  ensureKafkaJars,
  isAlive,
  killNode,
  newClusterId,
  portOpen,
  prepareNodes,
  startNode,
  stopNodes,
  waitUntilReady,
} from './kafka.ts';
import { stackDir, stateFile } from './paths.ts';
import { postgresAnswers, startPrivateCluster, stopPrivateCluster } from './postgres.ts';
import { done, step } from './progress.ts';
import { brokerProcessesUnder, decideUp, type ObservedStack } from './stack-guard.ts';

export interface StackState {
  mode: 'native' | 'docker';
  clusterId?: string;
  brokers: BrokerNode[];
  kafkaBrokers: string[];
  databaseUrl: string;
  privatePostgres: boolean;
  startedAt: string;
}

export const defaultDatabaseUrl = 'postgres://postgres@127.0.0.1:5432/cv_evaluator';

export function readState(): StackState | undefined {
  if (!existsSync(stateFile)) return undefined;
  return JSON.parse(readFileSync(stateFile, 'utf8')) as StackState;
}

function writeState(state: StackState): void {
  mkdirSync(stackDir, { recursive: true });
  writeFileSync(stateFile, `${JSON.stringify(state, null, 2)}\n`);
}

const heapFor = (count: number) => (count >= 3 ? '512m' : '1g');

export interface UpOptions {
  brokers?: number;
  /** force a path instead of detecting a Docker engine */
  mode?: 'native' | 'docker';
  databaseUrl?: string;
}

export async function stackUp(options: UpOptions = {}): Promise<StackState> {
  const count = options.brokers ?? 1;
  if (count !== 1 && count !== 3) throw new Error('--brokers must be 1 or 3');
  const mode = options.mode ?? (dockerEngineAnswers() ? 'docker' : 'native');
  // Look before touching anything: a live stack (even with a broker down) is never wiped.
  const existing = readState();
  const decision = decideUp(await observeStack(existing, mode === 'native' ? count : 0), {
    mode,
    brokers: count,
  });
  if (decision.action === 'reuse') {
    done(decision.message);
    // A reused stack may predate the checkout's migrations (or its database may have been dropped).
    await migrateDatabase(existing!.databaseUrl);
    return existing!;
  }
  if (decision.action === 'refuse') throw new Error(decision.message);

  if (mode === 'docker') {
    step('Docker engine found: starting infra/docker-compose.yml');
    compose(['up', '-d', '--wait', 'redpanda', 'postgres', 'console']);
    const state: StackState = {
      mode,
      brokers: [],
      kafkaBrokers: ['127.0.0.1:19092'],
      databaseUrl: 'postgres://postgres:postgres@127.0.0.1:5432/cv_evaluator',
      privatePostgres: false,
      startedAt: new Date().toISOString(),
    };
    await migrateDatabase(state.databaseUrl);
    writeState(state);
    return state;
  }

  // A stopped or crashed stack starts again on its own data: its topics hold accepted jobs, results and
  // the groups' offsets. Only `npm run stack:reset` deletes them.
  const stored = storedCluster();
  let clusterId: string;
  if (stored) {
    if (stored.brokers !== count || !stored.clusterId) {
      // a stack of 1 or 3 brokers can be started again; anything else (a broker's storage lost, or two
      // clusters' mixed) only deleted
      const whole = (stored.brokers === 1 || stored.brokers === 3) && stored.clusterId;
      throw new Error(
        `${stackDir} holds the data of ${whole ? `a ${stored.brokers}-broker cluster (${stored.clusterId})` : `${stored.brokers} broker(s) that do not make a cluster it can start`}; ` +
          `nothing was touched. ${whole ? `npm run stack:up -- --brokers ${stored.brokers} starts it again; ` : ''}` +
          'npm run stack:reset deletes it (its topics, jobs not yet evaluated and results not yet announced are lost)',
      );
    }
    clusterId = stored.clusterId;
    step(`starting the stopped stack again on its data (cluster ${clusterId})`);
  } else clusterId = newClusterId();
  step(
    `no Docker engine: starting the native stack (${count} Apache Kafka broker${count > 1 ? 's' : ''}, KRaft)`,
  );
  let databaseUrl = options.databaseUrl ?? defaultDatabaseUrl;
  let privatePostgres = false;
  if (await postgresAnswers(databaseUrl)) {
    done(`PostgreSQL answers at ${redact(databaseUrl)}`);
  } else {
    step(`no PostgreSQL answers at ${redact(databaseUrl)}`);
    databaseUrl = startPrivateCluster();
    privatePostgres = true;
  }
  step('applying database migrations');
  await migrateDatabase(databaseUrl);

  ensureKafkaJars();
  // Checked again just before the brokers start: the migrations above took time, and a broker that
  // appeared meanwhile would answer our readiness probe and pass for ours.
  const recheck = decideUp(await observeStack(readState(), count), { mode, brokers: count });
  if (recheck.action !== 'start')
    throw new Error(recheck.action === 'refuse' ? recheck.message : 'a stack appeared');
  const nodes = brokerNodes(count);
  prepareNodes(nodes, clusterId);
  for (const node of nodes) {
    node.pid = startNode(node, heapFor(count));
    step(`broker ${node.id} started (pid ${node.pid}), log ${node.dir}/logs/server.log`);
  }
  const state: StackState = {
    mode,
    clusterId,
    brokers: nodes,
    kafkaBrokers: nodes.map((n) => `127.0.0.1:${n.port}`),
    databaseUrl,
    privatePostgres,
    startedAt: new Date().toISOString(),
  };
  writeState(state);
  try {
    await waitUntilReady(nodes);
  } catch (err) {
    await stackDown();
    throw err;
  }
  done('Kafka accepted a committed transactional produce');
  return state;
}

/** The KRaft storage an earlier stack left in this directory: how many brokers, and its cluster id. */
export function storedCluster(): { brokers: number; clusterId: string | undefined } | undefined {
  const ids = [1, 2, 3]
    .map((n) => `${stackDir}/kafka-${n}/data/meta.properties`)
    .filter((f) => existsSync(f))
    .map((f) => /^cluster\.id=(.+)$/m.exec(readFileSync(f, 'utf8'))?.[1]?.trim());
  if (ids.length === 0) return undefined;
  return { brokers: ids.length, clusterId: new Set(ids).size === 1 ? ids[0] : undefined };
}

/**
 * Deletes the native stack's Kafka data (after stopping it): every topic, with the request records of jobs
 * not yet evaluated, the result events and the groups' offsets. The database keeps its jobs and results;
 * what it recorded about the old topics is made to fit the new ones: the committed positions are
 * forgotten, and jobs not yet finished are marked unpublished, so the publish sweeper sends them again.
 */
export async function stackReset(): Promise<void> {
  const state = readState();
  if (state?.mode === 'docker')
    throw new Error(
      'a docker stack keeps its data in volumes: docker compose -f infra/docker-compose.yml down -v deletes them',
    );
  const live = brokerProcessesUnder(stackDir).filter((pid) => !state?.brokers.some((b) => b.pid === pid));
  if (live.length > 0)
    throw new Error(`process(es) ${live.join(', ')} still use ${stackDir}; nothing was deleted`);
  // the database first, while it answers (a private one stops with the stack): what it recorded about
  // the old topics is made to fit the new ones. Done and the deletion then refused, it is still sound:
  // positions forgotten are never refused, and a job published twice is evaluated once.
  await forgetKafkaPositions(state?.databaseUrl ?? defaultDatabaseUrl);
  if (state) await stackDown();
  const stray = brokerProcessesUnder(stackDir);
  if (stray.length > 0)
    throw new Error(`process(es) ${stray.join(', ')} still use ${stackDir}; nothing was deleted`);
  for (const n of [1, 2, 3]) rmSync(`${stackDir}/kafka-${n}`, { recursive: true, force: true });
  done(`Kafka data in ${stackDir} deleted`);
}

/** Forgets the committed positions and marks unfinished jobs unpublished (stackReset). */
async function forgetKafkaPositions(databaseUrl: string): Promise<void> {
  if (!(await postgresAnswers(databaseUrl))) {
    step(`no PostgreSQL answers at ${redact(databaseUrl)}: its committed positions were left as they are`);
    return;
  }
  const sql = postgres(databaseUrl, { max: 1, onnotice: () => {} });
  try {
    const [tables] = await sql<{ ok: boolean }[]>`select to_regclass('committed_offsets') is not null as ok`;
    if (!tables?.ok) return;
    const forgotten = await sql`delete from committed_offsets`;
    const unpublished = await sql`
      update jobs set published_at = null, publish_lease_until = null, status = 'queued'
      where status in ('queued', 'processing')`;
    done(
      `database: ${forgotten.count} committed position(s) forgotten, ${unpublished.count} unfinished job(s) to be published again`,
    );
  } finally {
    await sql.end();
  }
}

/** What is there now: live broker pids of the state file, taken ports of `count` brokers, stray brokers. */
export async function observeStack(state: StackState | undefined, count: number): Promise<ObservedStack> {
  const ports = brokerNodes(count).flatMap((n) => [n.port, n.controllerPort]);
  const open = await Promise.all(ports.map(portOpen));
  return {
    state,
    alivePids: new Set(
      (state?.brokers ?? []).map((b) => b.pid).filter((p): p is number => p !== undefined && isAlive(p)),
    ),
    portsInUse: ports.filter((_, i) => open[i]),
    processesUsingDir: brokerProcessesUnder(stackDir),
  };
}

export async function stackDown(): Promise<void> {
  const state = readState();
  if (!state) {
    done('no stack running');
    return;
  }
  if (state.mode === 'docker') {
    compose(['down']);
  } else {
    step(`stopping ${state.brokers.length} broker(s)`);
    await stopNodes(state.brokers.map((b) => b.pid).filter((p): p is number => p !== undefined));
    if (state.privatePostgres) stopPrivateCluster();
  }
  rmSync(stateFile, { force: true });
  done('stack stopped');
}

export interface StatusLine {
  component: string;
  address: string;
  state: 'up' | 'down';
  pid?: number;
  log?: string;
}

export async function stackStatus(): Promise<StatusLine[]> {
  const state = readState();
  if (!state) return [];
  const lines: StatusLine[] = state.brokers.map((b) => ({
    component: `kafka broker ${b.id}`,
    address: `127.0.0.1:${b.port}`,
    state: isAlive(b.pid) ? 'up' : 'down',
    pid: b.pid,
    log: `${b.dir}/logs/server.log`,
  }));
  if (state.mode === 'docker')
    lines.push({ component: 'redpanda', address: state.kafkaBrokers.join(','), state: 'up' });
  lines.push({
    component: state.privatePostgres ? 'postgresql (private)' : 'postgresql',
    address: redact(state.databaseUrl),
    state: (await postgresAnswers(state.databaseUrl)) ? 'up' : 'down',
  });
  return lines;
}

/** Restarts one broker; hard = SIGKILL then start (the chaos verifier's broker bounce). */
export async function restartBroker(id: number, hard: boolean): Promise<void> {
  const state = readState();
  if (state?.mode !== 'native') throw new Error('no native stack running');
  const node = state.brokers.find((b) => b.id === id);
  if (!node) throw new Error(`no broker ${id}: brokers are ${state.brokers.map((b) => b.id).join(', ')}`);
  if (node.pid) {
    if (hard) killNode(node.pid);
    else await stopNodes([node.pid], 60_000);
    while (isAlive(node.pid)) await new Promise((r) => setTimeout(r, 50));
  }
  step(`broker ${id} ${hard ? 'killed' : 'stopped'}; starting it again`);
  node.pid = startNode(node, heapFor(state.brokers.length));
  writeState(state);
  await waitUntilReady(state.brokers);
  done(`broker ${id} is back (pid ${node.pid})`);
}

export function redact(url: string): string {
  const u = new URL(url);
  if (u.password) u.password = '***';
  return u.toString();
}
