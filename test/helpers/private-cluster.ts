// A private 3-broker cluster beside the shared one, for the tests that move leaders or kill brokers:
// its own ports and directory, started before the file's tests, stopped and removed after them.
// `slot` keeps two such files running at once off each other's ports (a stack uses base..base+2 and
// base+100..102).
import { spawnSync } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { afterAll, beforeAll } from 'vitest';
import { projectRoot } from '../../infra/native/paths.ts';
import type { StackState } from '../../infra/native/stack.ts';

export { projectRoot };

export interface PrivateCluster {
  brokers: string[];
  /** the environment that points scripts/stack.ts at this cluster */
  env: NodeJS.ProcessEnv;
  clientPort(nodeId: number): number;
  brokerPid(nodeId: number): number | undefined;
}

export function privateCluster(slot: 0 | 1): PrivateCluster {
  // Below Linux's ephemeral range (32768–60999), where a port can be taken as a connection's local port
  // and a broker that cannot bind it never opens its listener. (A full run once waited in vain for one
  // broker's listener at 48852; its log was removed with the cluster, so the cause is not confirmed.)
  const portBase = 21_000 + (process.pid % 50) * 200 + slot * 50;
  const env = {
    ...process.env,
    STACK_PORT_BASE: String(portBase),
    STACK_DIR: `/tmp/cv-private-cluster-${portBase}`,
  };
  const stackCli = (...args: string[]) =>
    spawnSync(process.execPath, ['scripts/stack.ts', ...args], { cwd: projectRoot, env, encoding: 'utf8' });
  beforeAll(() => {
    const up = stackCli('up', '--brokers', '3');
    if (up.status !== 0) {
      // the brokers' own last words, before afterAll removes their directory
      const logs = [1, 2, 3].map((n) => brokerLogTail(`${env.STACK_DIR}/kafka-${n}/logs/server.log`));
      throw new Error(`3-broker stack did not start:\n${up.stdout}${up.stderr}\n${logs.join('\n')}`);
    }
  }, 240_000);
  afterAll(() => {
    stackCli('down');
    // its logs and data are of no use once the file's tests ran: each run starts a cluster afresh
    rmSync(env.STACK_DIR, { recursive: true, force: true });
  }, 120_000);
  const clientPort = (nodeId: number) => portBase + nodeId - 1;
  return {
    brokers: [1, 2, 3].map((id) => `127.0.0.1:${clientPort(id)}`),
    env,
    clientPort,
    brokerPid: (nodeId) =>
      (JSON.parse(readFileSync(`${env.STACK_DIR}/state.json`, 'utf8')) as StackState).brokers.find(
        (b) => b.id === nodeId,
      )?.pid,
  };
}

function brokerLogTail(path: string): string {
  try {
    return `--- ${path}\n${readFileSync(path, 'utf8').split('\n').slice(-15).join('\n')}`;
  } catch {
    return `--- ${path}: not readable`;
  }
}
