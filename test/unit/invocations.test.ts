// The invocation loop shared by evaluate and notify: exit 1 after an outage that outlasted its budget,
// one invocation without --loop, back to back with --loop until the signal, and a pause cut short by it;
// and the line each invocation ends with.
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { invocationFinished, runInvocations } from '../../lib/jobs/invocations.ts';
import type { StopReason } from '../../lib/kafka/types.ts';
import { createLogger } from '../../lib/telemetry/logger.ts';

describe('runInvocations', () => {
  it('one invocation without --loop; exit 1 when a dependency outlasted its budget, 0 otherwise', async () => {
    for (const [reason, code] of [
      ['dependency-unavailable', 1],
      ['caught-up', 0],
      ['max-duration', 0],
    ] as const) {
      let runs = 0;
      const exit = await runInvocations({
        loop: false,
        pauseMs: 0,
        signal: new AbortController().signal,
        invoke: async () => {
          runs += 1;
          return reason;
        },
      });
      expect({ reason, exit, runs }).toEqual({ reason, exit: code, runs: 1 });
    }
  });

  it('--loop runs back to back until the signal; the exit code is the last invocation’s', async () => {
    const controller = new AbortController();
    const reasons: StopReason[] = ['dependency-unavailable', 'caught-up', 'dependency-unavailable'];
    const seen: number[] = [];
    const exit = await runInvocations({
      loop: true,
      pauseMs: 1,
      signal: controller.signal,
      invoke: async (n) => {
        seen.push(n);
        if (n === 3) controller.abort(); // SIGTERM during the third
        return reasons[n - 1];
      },
    });
    expect(seen).toEqual([1, 2, 3]);
    expect(exit).toBe(1);
  });

  it('--loop runs the next invocation after one that threw; without --loop the error ends the function', async () => {
    // found from outside: a broker outage of ~7 s made notify --loop throw out of its invocation and exit,
    // and npm start stopped the whole system with it
    const controller = new AbortController();
    const failures: number[] = [];
    const seen: number[] = [];
    const exit = await runInvocations({
      loop: true,
      pauseMs: 1,
      signal: controller.signal,
      invoke: async (n) => {
        seen.push(n);
        if (n < 3) throw new Error('KafkaJSNumberOfRetriesExceeded');
        controller.abort();
        return 'caught-up';
      },
      onFailure: (_err, n) => failures.push(n),
    });
    expect([seen, failures, exit]).toEqual([[1, 2, 3], [1, 2], 0]);
    const once = runInvocations({
      loop: false,
      pauseMs: 1,
      signal: new AbortController().signal,
      invoke: async () => {
        throw new Error('broker away');
      },
      onFailure: () => failures.push(99),
    });
    await expect(once).rejects.toThrow('broker away');
    expect(failures).not.toContain(99);
  });

  it('the pause between invocations ends on the signal with exit 0, and an invocation stopped before its session ends the loop', async () => {
    const controller = new AbortController();
    const started = Date.now();
    const seen: number[] = [];
    const exit = await runInvocations({
      loop: true,
      pauseMs: 60_000,
      signal: controller.signal,
      invoke: async (n) => {
        seen.push(n);
        setTimeout(() => controller.abort(), 20);
        return 'dependency-unavailable';
      },
    });
    expect(seen).toEqual([1]);
    // under --loop the failed invocation's retry was the next one; SIGTERM in the pause ends it with 0
    expect(exit).toBe(0);
    expect(Date.now() - started).toBeLessThan(10_000);
    let runs = 0;
    const stopped = await runInvocations({
      loop: true,
      pauseMs: 1,
      signal: new AbortController().signal,
      invoke: async () => {
        runs += 1;
        return undefined;
      },
    });
    expect({ stopped, runs }).toEqual({ stopped: 0, runs: 1 });
  });
});

describe('invocationFinished', () => {
  function logged(idle: boolean): Record<string, unknown>[] {
    const lines: Record<string, unknown>[] = [];
    const destination = new Writable({
      write(chunk, _encoding, done) {
        lines.push(JSON.parse(String(chunk)));
        done();
      },
    });
    const logger = createLogger({ level: 'debug', format: 'json', destination });
    invocationFinished(logger, {
      function: 'notify',
      n: 3,
      started: Date.now() - 50,
      stopReason: 'caught-up',
      idle,
      details: { records: idle ? 0 : 7, stopReason: 'caught-up' },
    });
    return lines;
  }

  it('ends an invocation with one line: its number, report, duration and peak RSS; at debug when idle', () => {
    const [busy] = logged(false);
    expect(busy).toMatchObject({
      level: 30,
      msg: 'invocation finished',
      invocation: { n: 3, records: 7, stopReason: 'caught-up' },
    });
    const invocation = busy!.invocation as { totalMs: number; maxRssMb: number };
    expect(invocation.totalMs).toBeGreaterThanOrEqual(50);
    expect(invocation.maxRssMb).toBeGreaterThan(0);
    const [idle] = logged(true);
    expect(idle).toMatchObject({ level: 20, invocation: { n: 3, records: 0 } });
  });
});
