// Leaving is bounded (lib/kafka/shutdown.ts): steps run in their groups' order, a failing step does not
// stop the others, and a step that never settles is named when the time runs out.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { shutdownWithin } from '../../lib/kafka/shutdown.ts';
import type { Logger } from '../../lib/telemetry/logger.ts';

function recordingLogger() {
  const lines: { level: string; fields: Record<string, unknown> }[] = [];
  const at = (level: string) => (fields: Record<string, unknown>) => lines.push({ level, fields });
  return { lines, logger: { warn: at('warn'), error: at('error') } as unknown as Logger };
}

describe('shutdownWithin', () => {
  it('runs the groups in turn and resolves true when every step ended, a failed one included', async () => {
    const order: string[] = [];
    const { lines, logger } = recordingLogger();
    const ended = await shutdownWithin(
      1000,
      [
        { first: async () => void order.push('first') },
        {
          a: async () => void order.push('a'),
          b: async () => {
            throw new Error('closed already');
          },
        },
      ],
      logger,
    );
    expect(ended).toBe(true);
    expect(order).toEqual(['first', 'a']);
    expect(lines.map((l) => [l.level, l.fields.step])).toEqual([['warn', 'b']]);
  });

  it('resolves false within the bound when a step never settles, and logs the steps still running', async () => {
    const { lines, logger } = recordingLogger();
    const started = performance.now();
    const ended = await shutdownWithin(
      200,
      [{ 'consumer disconnect': () => new Promise(() => {}) }, { never: async () => {} }],
      logger,
    );
    expect(ended).toBe(false);
    expect(performance.now() - started).toBeLessThan(1000);
    expect(lines).toEqual([
      expect.objectContaining({
        level: 'error',
        fields: expect.objectContaining({
          event: 'engine.shutdown-timed-out',
          pending: ['consumer disconnect'],
        }),
      }),
    ]);
  });
});

const shutdownModule = fileURLToPath(new URL('../../lib/kafka/shutdown.ts', import.meta.url));

/** Runs `body` in a child whose main thread then never yields; its exit, or 'alive' after `waitMs`. */
function childThatStarves(body: string, waitMs: number) {
  const source = `import { shutdownWithin } from ${JSON.stringify(shutdownModule)};\n${body}`;
  const child = spawn(process.execPath, ['--input-type=module', '-e', source], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  child.stdout.on('data', (d) => {
    stdout += d;
  });
  return new Promise<{ signal: string | null; stdout: string }>((resolve) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      resolve({ signal: 'alive', stdout });
    }, waitMs);
    child.on('exit', (_code, signal) => {
      clearTimeout(timer);
      resolve({ signal, stdout });
    });
  });
}

describe('the shutdown watchdog', () => {
  it('kills a process whose main thread never yields once the bound and the grace have passed', async () => {
    const { signal, stdout } = await childThatStarves(
      'process.stdout.write(Date.now() + "\\n");\n' +
        'shutdownWithin(200, [{ spin: () => new Promise(() => { for (;;) {} }) }], undefined, 300);',
      8000,
    );
    expect(signal).toBe('SIGKILL');
    const [started, line] = stdout.trim().split('\n');
    const watchdog = JSON.parse(line!);
    expect(watchdog).toMatchObject({ event: 'engine.shutdown-watchdog', timeoutMs: 200 });
    // not before the bound and the grace, and not long after
    const afterMs = Date.parse(watchdog.time) - Number(started);
    expect(afterMs).toBeGreaterThanOrEqual(490);
    expect(afterMs).toBeLessThan(3000);
  }, 10_000);

  it('negative control: the same starved process without a shutdown bound is still alive', async () => {
    const { signal } = await childThatStarves('new Promise(() => { for (;;) {} });', 3000);
    expect(signal).toBe('alive');
  }, 10_000);

  it('stands down when the shutdown ends: the process lives on past the bound and exits on its own', async () => {
    const { signal, stdout } = await childThatStarves(
      'await shutdownWithin(200, [{ quick: async () => {} }], undefined, 0);\n' +
        'setTimeout(() => process.stdout.write("ended"), 1000);',
      8000,
    );
    expect(signal).toBe(null);
    expect(stdout).toBe('ended');
  }, 10_000);
});
