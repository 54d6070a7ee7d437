// The benchmarks' CPU accounting (scripts/bench/cpu-meter.ts): a process's CPU is counted whether it is
// still running when the window ends or ended inside it (then through its parent's reaped-children time).
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { startCpuMeter } from '../../scripts/bench/cpu-meter.ts';

/**
 * A child that spins until it has used `ms` of CPU (not wall time: on a loaded machine, as in CI, wall
 * time gives it less), says so on stdout, then either exits or waits to be killed.
 */
function burner(ms: number, thenExit: boolean) {
  const code = `let n = 0; for (;;) { for (let i = 0; i < 1e5; i++) n += i; const u = process.cpuUsage(); if (u.user + u.system >= ${ms * 1000}) break; } process.stdout.write('burned\\n'); ${thenExit ? '' : 'setInterval(() => {}, 1000);'}`;
  const child = spawn(process.execPath, ['-e', code, 'cpu-meter-burner'], {
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  const burned = new Promise<void>((resolve) => child.stdout!.once('data', () => resolve()));
  return Object.assign(child, { burned });
}

const onLinux = existsSync('/proc/self/stat');

describe.runIf(onLinux)('CPU meter', () => {
  it('counts a process that still runs at the end of the window', async () => {
    const child = burner(400, false);
    const meter = startCpuMeter({
      componentOf: (_, pid) => (pid === child.pid ? 'burner' : undefined),
      reapedAs: 'reaped',
    })!;
    await child.burned;
    const report = meter.stop(1);
    child.kill('SIGKILL');
    await once(child, 'exit');
    // ~400 ms of CPU (less whatever ran before the meter started), and not counted as reaped
    expect(report.msPerJob.burner).toBeGreaterThan(200);
    expect(report.msPerJob.burner).toBeLessThan(900);
    expect(report.msPerJob.reaped).toBe(0);
    expect(report.msPerJob.total).toBeGreaterThanOrEqual(report.msPerJob.burner!);
  });

  it('counts a process that ended inside the window, once, through its parent', async () => {
    const meter = startCpuMeter({
      componentOf: (cmdline) => (cmdline.includes('cpu-meter-burner') ? 'burner' : undefined),
      reapedAs: 'reaped',
    })!;
    const child = burner(400, true);
    await once(child, 'exit');
    const report = meter.stop(2);
    // per job: ~400 ms over 2 jobs, all of it as reaped (the process is gone), none left as 'burner'
    expect(report.msPerJob.reaped).toBeGreaterThan(150);
    expect(report.msPerJob.reaped).toBeLessThan(450);
    expect(report.msPerJob.burner ?? 0).toBe(0);
    expect(report.ceilingJobsPerSec).toBeGreaterThan(0);
  });
});
