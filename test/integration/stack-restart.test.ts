// `npm run stack:up` starts a stopped or crashed native stack again on its own data. A stack:up that
// formatted fresh storage instead lost every topic: accepted jobs' request records, result events and
// the groups' offsets (an outside audit found it so). Here a real one-broker stack in a throwaway
// directory, on its own ports, is stopped (stack:down) and killed (SIGKILL), and each time `stack:up`
// must bring back the same cluster with the record committed before.
import { spawnSync } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { isAlive } from '../../infra/native/kafka.ts';
import { projectRoot } from '../../infra/native/paths.ts';
import type { StackState } from '../../infra/native/stack.ts';
import { createKafka } from '../../lib/kafka/client.ts';
import { drainTopic } from '../helpers/kafka.ts';

// beside privateCluster's slots (base and base + 50, with controllers at + 100): base + 150 and + 250
const portBase = 21_000 + (process.pid % 50) * 200 + 150;
const stackDir = `/tmp/cv-restart-stack-${portBase}`;
const env = { ...process.env, STACK_PORT_BASE: String(portBase), STACK_DIR: stackDir };
const brokers = [`127.0.0.1:${portBase}`];
const topic = 'kept-across-restarts';

function stackCli(...args: string[]) {
  const r = spawnSync(process.execPath, ['scripts/stack.ts', ...args], {
    cwd: projectRoot,
    env,
    encoding: 'utf8',
    timeout: 180_000,
  });
  return { ok: r.status === 0, output: `${r.stdout}${r.stderr}` };
}

function up(): string {
  const r = stackCli('up', '--brokers', '1');
  if (!r.ok) throw new Error(`stack:up failed:\n${r.output}`);
  return r.output;
}

const state = () => JSON.parse(readFileSync(`${stackDir}/state.json`, 'utf8')) as StackState;

async function clusterId(): Promise<string> {
  const admin = createKafka({ brokers, clientId: 'restart-admin' }).admin();
  await admin.connect();
  try {
    return (await admin.describeCluster()).clusterId;
  } finally {
    await admin.disconnect();
  }
}

async function keptValues(): Promise<string[]> {
  const records = await drainTopic(createKafka({ brokers, clientId: 'restart-reader' }), topic, {
    expected: 1,
    settleMs: 500,
    timeoutMs: 30_000,
  });
  return records.map((r) => String(r.value));
}

afterAll(() => {
  stackCli('down');
  rmSync(stackDir, { recursive: true, force: true });
}, 120_000);

describe('stack:up on a stopped or crashed native stack', () => {
  it('starts the same cluster again on its data, after stack:down and after a SIGKILL', async () => {
    up();
    const id = await clusterId();
    const kafka = createKafka({ brokers, clientId: 'restart-writer' });
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ waitForLeaders: true, topics: [{ topic, numPartitions: 1 }] });
    await admin.disconnect();
    const producer = kafka.producer({
      transactionalId: 'restart-writer',
      idempotent: true,
      maxInFlightRequests: 1,
    });
    await producer.connect();
    const tx = await producer.transaction();
    await tx.send({ topic, acks: -1, messages: [{ key: 'job-1', value: 'accepted before the stop' }] });
    await tx.commit();
    await producer.disconnect();
    expect(await keptValues()).toEqual(['accepted before the stop']);

    // a clean stop
    const down = stackCli('down');
    expect(down.ok, down.output).toBe(true);
    expect(up()).toMatch(new RegExp(`again on its data \\(cluster ${id}\\)`));
    expect(await clusterId()).toBe(id);
    expect(await keptValues()).toEqual(['accepted before the stop']);

    // a crash: the broker killed where it stood, its state file still naming it
    const pid = state().brokers[0]!.pid!;
    process.kill(pid, 'SIGKILL');
    // a JVM takes a moment to go once killed (CI once saw it still there 500 ms later: "already running")
    for (let i = 0; i < 300 && isAlive(pid); i++) await new Promise((r) => setTimeout(r, 100));
    expect(isAlive(pid)).toBe(false);
    expect(up()).toMatch(new RegExp(`again on its data \\(cluster ${id}\\)`));
    expect(state().brokers[0]!.pid).not.toBe(pid);
    expect(await clusterId()).toBe(id);
    expect(await keptValues()).toEqual(['accepted before the stop']);
  }, 400_000);
});
