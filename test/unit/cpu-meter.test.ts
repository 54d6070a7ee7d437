// The benchmarks' CPU accounting (scripts/bench/cpu-meter.ts): a process's CPU is counted whether it is
// still running when the window ends or ended inside it (then through its parent's reaped-children time).
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { startCpuMeter } from '../../scripts/bench/cpu-meter.ts';

/** A child that spins for `ms` of wall time (one core), then either exits or waits to be killed. */
function burner(ms: number, thenExit: boolean) {
  const code = `const end = Date.now() + ${ms}; while (Date.now() < end); ${thenExit ? '' : 'setInterval(() => {}, 1000);'}`;
  return spawn(process.execPath, ['-e', code, 'cpu-meter-burner'], { stdio: 'ignore' });
}

const onLinux = existsSync('/proc/self/stat');

describe.runIf(onLinux)('CPU meter', () => {
  it('counts a process that still runs at the end of the window', async () => {
    const child = burner(400, false);
    const meter = startCpuMeter({
      componentOf: (_, pid) => (pid === child.pid ? 'burner' : undefined),
      reapedAs: 'reaped',
    })!;
    await new Promise((r) => setTimeout(r, 900));
    const report = meter.stop(1);
    child.kill('SIGKILL');
    await once(child, 'exit');
    // a core for ~400 ms (less whatever ran before the meter started), and not counted as reaped
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
