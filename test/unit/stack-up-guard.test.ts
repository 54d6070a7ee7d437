// `stack:up` never destroys a live cluster. The decision is tested as a pure function, and the real CLI
// is run against a throwaway STACK_DIR on free ports where live "brokers" (real processes, real
// listeners) are planted: it must refuse, say why, and leave every broker directory as it was.
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { afterEach, describe, expect, it } from 'vitest';
import { decideUp, type ObservedStack } from '../../infra/native/stack-guard.ts';

const native = (pids: (number | undefined)[]) => ({
  mode: 'native' as const,
  brokers: pids.map((pid, i) => ({ id: i + 1, pid })),
});
const seen = (o: Partial<ObservedStack>): ObservedStack => ({
  alivePids: new Set(),
  portsInUse: [],
  processesUsingDir: [],
  ...o,
});

describe('stack:up decision', () => {
  it('starts only when nothing is alive, no port is taken and no broker process uses the directory', () => {
    expect(decideUp(seen({}), { mode: 'native', brokers: 3 })).toEqual({ action: 'start' });
    expect(decideUp(seen({ state: native([11, 12, 13]) }), { mode: 'native', brokers: 3 })).toEqual({
      action: 'start',
    });
  });

  it('reuses a complete running stack of the requested size', () => {
    const d = decideUp(seen({ state: native([11, 12, 13]), alivePids: new Set([11, 12, 13]) }), {
      mode: 'native',
      brokers: 3,
    });
    expect(d.action).toBe('reuse');
  });

  it('treats a stack with one broker down as running and points to stack:restart-broker', () => {
    const d = decideUp(
      seen({ state: native([11, 12, 13]), alivePids: new Set([11, 13]), portsInUse: [9092, 9094] }),
      { mode: 'native', brokers: 3 },
    );
    expect(d.action).toBe('refuse');
    expect(d.action === 'refuse' && d.message).toMatch(/broker 2 down/);
    expect(d.action === 'refuse' && d.message).toMatch(/stack:restart-broker -- 2/);
  });

  it('refuses another topology while a stack runs', () => {
    const d = decideUp(seen({ state: native([11]), alivePids: new Set([11]) }), {
      mode: 'native',
      brokers: 3,
    });
    expect(d.action).toBe('refuse');
  });

  it('refuses taken ports and stray broker processes even without a state file', () => {
    expect(decideUp(seen({ portsInUse: [9193] }), { mode: 'native', brokers: 3 }).action).toBe('refuse');
    expect(decideUp(seen({ processesUsingDir: [4242] }), { mode: 'native', brokers: 1 }).action).toBe(
      'refuse',
    );
  });
});

// --- the real CLI on a throwaway directory and free ports --------------------------------------------

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups.splice(0).reverse()) c();
});

async function listen(port: number): Promise<Server> {
  const server = createServer((s) => s.destroy());
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', resolve);
  });
  cleanups.push(() => server.close());
  return server;
}

async function freePortBase(): Promise<number> {
  // a base whose 3 client and 3 controller ports are all free right now
  for (let attempt = 0; attempt < 50; attempt++) {
    const base = 30_000 + Math.floor(Math.random() * 20_000);
    const ports = [0, 1, 2, 100, 101, 102].map((d) => base + d);
    const servers: Server[] = [];
    try {
      for (const p of ports) servers.push(await listen(p));
      for (const s of servers) s.close();
      return base;
    } catch {
      for (const s of servers) s.close();
    }
  }
  throw new Error('no free port range');
}

function livePid(args: string[] = []): number {
  const child: ChildProcess = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60_000)', ...args], {
    stdio: 'ignore',
  });
  cleanups.push(() => child.kill('SIGKILL'));
  return child.pid!;
}

function deadPid(): number {
  return spawnSync(process.execPath, ['-e', 'process.exit(0)']).pid;
}

function plantStack(dir: string, base: number, pids: number[]): string[] {
  const markers: string[] = [];
  for (let id = 1; id <= 3; id++) {
    mkdirSync(`${dir}/kafka-${id}/data`, { recursive: true });
    const marker = `${dir}/kafka-${id}/data/meta.properties`;
    writeFileSync(marker, `node.id=${id}\ncluster.id=planted\n`);
    markers.push(marker);
  }
  const state = {
    mode: 'native',
    clusterId: 'planted',
    brokers: pids.map((pid, i) => ({
      id: i + 1,
      port: base + i,
      controllerPort: base + 100 + i,
      dir: `${dir}/kafka-${i + 1}`,
      pid,
    })),
    kafkaBrokers: pids.map((_, i) => `127.0.0.1:${base + i}`),
    databaseUrl: 'postgres://postgres@127.0.0.1:1/none',
    privatePostgres: false,
    startedAt: new Date().toISOString(),
  };
  writeFileSync(`${dir}/state.json`, JSON.stringify(state));
  return markers;
}

function stackUpCli(
  dir: string,
  base: number,
  brokers = 3,
): Promise<{ status: number | null; stderr: string }> {
  // asynchronous: the planted listeners live in this process and must keep answering meanwhile
  const child = spawn(
    process.execPath,
    ['scripts/stack.ts', 'up', '--native', '--brokers', String(brokers)],
    {
      stdio: ['ignore', 'ignore', 'pipe'],
      env: {
        ...process.env,
        STACK_DIR: dir,
        STACK_PORT_BASE: String(base),
        // should the guard ever let it through, nothing shared is reachable from here
        STACK_CACHE_DIR: `${dir}/cache`,
        DATABASE_URL: 'postgres://postgres@127.0.0.1:1/none',
      },
    },
  );
  cleanups.push(() => child.kill('SIGKILL'));
  let stderr = '';
  child.stderr!.on('data', (c: Buffer) => {
    stderr += c.toString();
  });
  return new Promise((resolve) => child.on('exit', (status) => resolve({ status, stderr })));
}

// Node starting the CLI takes seconds on a loaded 2-core machine.
describe('npm run stack:up on a live stack (real CLI, throwaway STACK_DIR and ports)', {
  timeout: 90_000,
}, () => {
  const tmp = () => {
    const dir = mkdtempSync(`${tmpdir()}/stack-guard-`);
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    return dir;
  };

  it('a 3-broker stack with broker 2 killed: refuses, names broker 2, deletes nothing', async () => {
    const dir = tmp();
    const base = await freePortBase();
    // brokers 1 and 3 alive and holding their ports, broker 2's pid dead (the issue's reproduction)
    const markers = plantStack(dir, base, [livePid(), deadPid(), livePid()]);
    for (const p of [base, base + 2, base + 100, base + 102]) await listen(p);
    const r = await stackUpCli(dir, base);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/broker 2 down/);
    expect(r.stderr).toMatch(/npm run stack:restart-broker -- 2/);
    for (const m of markers) expect(existsSync(m)).toBe(true);
  });

  it('no state file but a port taken: refuses before touching the directory', async () => {
    const dir = tmp();
    const base = await freePortBase();
    const markers = plantStack(dir, base, [deadPid(), deadPid(), deadPid()]);
    rmSync(`${dir}/state.json`);
    await listen(base + 101);
    const r = await stackUpCli(dir, base);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(new RegExp(`port ${base + 101} already in use`));
    for (const m of markers) expect(existsSync(m)).toBe(true);
  });

  it('a stopped stack of another size: refuses, says how to start or reset it, deletes nothing', async () => {
    // found from outside: with no broker alive, stack:up formatted fresh storage — a crash followed by
    // stack:up lost every topic (accepted jobs, results, offsets). A stack of the same size starts again
    // on its data (checked by hand; the CI stack itself is started that way when one was left stopped).
    const dir = tmp();
    const base = await freePortBase();
    const markers = plantStack(dir, base, [deadPid(), deadPid(), deadPid()]);
    const r = await stackUpCli(dir, base, 1);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/holds the data of a 3-broker cluster \(planted\)/);
    expect(r.stderr).toMatch(/npm run stack:up -- --brokers 3 starts it again/);
    expect(r.stderr).toMatch(/npm run stack:reset deletes it/);
    for (const m of markers) expect(existsSync(m)).toBe(true);
    // one broker's storage gone: two are no cluster it can start, and it says so rather than --brokers 2
    rmSync(markers[2]!);
    const partial = await stackUpCli(dir, base, 1);
    expect(partial.status).toBe(1);
    expect(partial.stderr).toMatch(/2 broker\(s\) that do not make a cluster it can start/);
    expect(partial.stderr).not.toMatch(/--brokers 2/);
    for (const m of markers.slice(0, 2)) expect(existsSync(m)).toBe(true);
  });

  it('a broker process the state file forgot still uses the directory: refuses', async () => {
    const dir = tmp();
    const base = await freePortBase();
    const markers = plantStack(dir, base, [deadPid(), deadPid(), deadPid()]);
    const stray = livePid([`${dir}/kafka-3/server.properties`]);
    const r = await stackUpCli(dir, base);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(String(stray));
    for (const m of markers) expect(existsSync(m)).toBe(true);
  });
});
