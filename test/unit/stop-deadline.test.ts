// The stop's deadline (lib/util/stop-deadline.ts), in child processes: past it the process exits 1 and
// names its step; a main thread that never yields is killed by the watchdog; a second signal changes
// nothing; a stop that ends in time is left alone. The integration test (stop-deadline.test.ts) shows it on
// the functions themselves, brokers hung.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const deadlineModule = fileURLToPath(new URL('../../lib/util/stop-deadline.ts', import.meta.url));
const loggerModule = fileURLToPath(new URL('../../lib/telemetry/logger.ts', import.meta.url));

/** Runs `body` in a child (stopOnSignals, stopDeadline and a JSON `log` in scope). */
function child(body: string, waitMs: number, signals: { afterLine: string; signal: NodeJS.Signals }[] = []) {
  const source =
    `import { stopDeadline, stopOnSignals } from ${JSON.stringify(deadlineModule)};\n` +
    `import { createLogger } from ${JSON.stringify(loggerModule)};\n` +
    `const log = createLogger({ format: 'json', name: 'test' });\n${body}`;
  const c = spawn(process.execPath, ['--input-type=module', '-e', source], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  const pending = [...signals];
  c.stdout.on('data', (d) => {
    stdout += d;
    // each signal once its line is out: the child's handlers exist by then, however slow its start
    while (pending[0] && stdout.includes(`"msg":"${pending[0].afterLine}"`)) c.kill(pending.shift()!.signal);
  });
  const started = performance.now();
  return new Promise<{
    code: number | null;
    signal: string | null;
    afterMs: number;
    lines: Record<string, unknown>[];
  }>((resolve) => {
    const done = (code: number | null, signal: string | null) =>
      resolve({
        code,
        signal,
        afterMs: performance.now() - started,
        lines: stdout
          .split('\n')
          .filter((l) => l.startsWith('{'))
          .map((l) => JSON.parse(l)),
      });
    const timer = setTimeout(() => {
      c.kill('SIGKILL');
      done(null, 'alive');
    }, waitMs);
    c.on('exit', (code, signal) => {
      clearTimeout(timer);
      done(code, signal);
    });
  });
}

describe('the stop deadline', () => {
  it('exits 1 once the deadline passes, naming the step it was waiting on', async () => {
    const r = await child(
      "const d = stopDeadline(500, log); d.step('a step that hangs');\nsetInterval(() => {}, 1000);",
      8000,
    );
    expect(r.code).toBe(1);
    expect(r.afterMs).toBeGreaterThanOrEqual(500);
    expect(r.lines.find((l) => l.event === 'shutdown.deadline')).toMatchObject({
      timeoutMs: 500,
      step: 'a step that hangs',
    });
  }, 10_000);

  it('negative control: disarmed in time, the process lives past the deadline and exits on its own', async () => {
    const r = await child(
      "const d = stopDeadline(300, log); d.disarm();\nsetTimeout(() => { log.info('ended'); }, 1000);",
      8000,
    );
    expect(r.code).toBe(0);
    expect(r.afterMs).toBeGreaterThanOrEqual(1000);
    expect(r.lines.some((l) => l.event === 'shutdown.deadline')).toBe(false);
  }, 10_000);

  it('kills a main thread that never yields (its timer cannot run) once the deadline and a second pass', async () => {
    const r = await child('stopDeadline(300, log);\nfor (;;) {}', 8000);
    expect(r.signal).toBe('SIGKILL');
    expect(r.lines.find((l) => l.event === 'shutdown.watchdog')).toMatchObject({ timeoutMs: 300 });
  }, 10_000);

  it('on a signal: logs, calls stop and arms the deadline; a later signal changes nothing', async () => {
    const body =
      "const s = stopOnSignals({ timeoutMs: 1500, log, message: 'stopping', stop: (sig) => log.info({ sig }, 'stop called') });\n" +
      "s.step('the step in hand');\nlog.info('ready');\nsetInterval(() => {}, 1000);";
    const r = await child(body, 10_000, [
      { afterLine: 'ready', signal: 'SIGTERM' },
      { afterLine: 'stop called', signal: 'SIGINT' },
    ]);
    expect(r.code).toBe(1);
    const msgs = r.lines.map((l) => l.msg);
    expect(msgs.filter((m) => m === 'stopping')).toHaveLength(1);
    expect(msgs.filter((m) => m === 'stop called')).toHaveLength(1);
    expect(r.lines.find((l) => l.event === 'shutdown.deadline')).toMatchObject({
      timeoutMs: 1500,
      step: 'the step in hand',
    });
  }, 12_000);
});
