// The local stack as a library: the CLI (scripts/stack.ts) and the test harness both use it.
// Docker engine → docker compose; otherwise the native stack (Apache Kafka jars + PostgreSQL).
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
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
  // Checked again just before the wipe: the migrations above took time, and a broker that appeared
  // meanwhile would answer our readiness probe and pass for ours.
  const recheck = decideUp(await observeStack(readState(), count), { mode, brokers: count });
  if (recheck.action !== 'start')
    throw new Error(recheck.action === 'refuse' ? recheck.message : 'a stack appeared');
  // A fresh cluster id and fresh data each time: stale KRaft metadata from another topology never matches.
  rmSync(`${stackDir}/kafka-1`, { recursive: true, force: true });
  rmSync(`${stackDir}/kafka-2`, { recursive: true, force: true });
  rmSync(`${stackDir}/kafka-3`, { recursive: true, force: true });
  const clusterId = newClusterId();
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
