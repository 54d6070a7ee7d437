// `npm start` refuses a port already taken before it starts anything, and npm's scripts hand their
// process over to the command (`exec`), so a SIGTERM sent to npm reaches the functions: without it `sh -c`
// took the signal and left `scripts/local.ts` and its functions running.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { describe, expect, it } from 'vitest';

const root = new URL('../../', import.meta.url);

describe('npm start', () => {
  it('refuses a port already in use, before it touches the stack', async () => {
    const taken = createServer();
    await new Promise<void>((r) => taken.listen(0, '127.0.0.1', r));
    const port = (taken.address() as { port: number }).port;
    try {
      const run = spawnSync(process.execPath, ['scripts/local.ts'], {
        cwd: root,
        // a stack that answers nothing: reaching it would fail differently, and later
        env: {
          ...process.env,
          PORT: String(port),
          KAFKA_BROKERS: '127.0.0.1:1',
          DATABASE_URL: 'postgres://nobody@127.0.0.1:1/none',
        },
        encoding: 'utf8',
        timeout: 30_000,
      });
      expect(run.status).toBe(1);
      expect(run.stderr).toContain(`port ${port} on 127.0.0.1 is in use`);
      expect(run.stderr).not.toContain('using the stack');
    } finally {
      taken.close();
    }
  });

  it('refuses a second npm start for the same stack on another port; a stale lock is ignored', async () => {
    // found from outside: PORT=8090 npm start beside a running one started a second set of functions in
    // the same consumer groups
    const dir = mkdtempSync(`${tmpdir()}/npm-start-`);
    const holder = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60_000)', 'scripts/local.ts'], {
      stdio: 'ignore',
    });
    try {
      const start = () =>
        spawnSync(process.execPath, ['scripts/local.ts'], {
          cwd: root,
          env: {
            ...process.env,
            PORT: '0',
            STACK_DIR: dir,
            KAFKA_BROKERS: '127.0.0.1:1',
            DATABASE_URL: 'postgres://nobody@127.0.0.1:1/none',
          },
          encoding: 'utf8',
          timeout: 30_000,
        });
      writeFileSync(`${dir}/npm-start.pid`, `${holder.pid} 8080\n`);
      const refused = start();
      expect(refused.status).toBe(1);
      expect(refused.stderr).toContain(`npm start is already running for this stack (pid ${holder.pid})`);
      expect(refused.stderr).not.toContain('using the stack');
      // the same lock naming a process that is gone: this start goes on (to the stack, which does not answer)
      holder.kill('SIGKILL');
      await new Promise((r) => holder.once('exit', r));
      const next = start();
      expect(next.stderr).toContain('using the stack');
    } finally {
      holder.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('every script run through scripts/node24.sh execs it, so npm’s signals reach the command', () => {
    const { scripts } = JSON.parse(readFileSync(new URL('package.json', root), 'utf8')) as {
      scripts: Record<string, string>;
    };
    const wrapped = Object.entries(scripts).filter(([, s]) => s.includes('scripts/node24.sh'));
    expect(wrapped.length).toBeGreaterThan(10);
    for (const [name, script] of wrapped)
      expect({ name, script }).toMatchObject({ script: /^exec bash scripts\/node24\.sh / });
  });
});
