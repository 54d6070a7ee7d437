// CPU time by component over a benchmark's window, read from Linux's /proc: the evaluators, PostgreSQL,
// the Kafka broker, the benchmark itself and the rest of the machine. With the jobs done in the window it
// gives each component's CPU per job and the ceiling it sets: the machine's cores divided by the CPU all
// components spend on one job — the most jobs per second this machine can drain, whatever the code does
// with its waits.
//
// Exact across exits: a process's CPU includes its reaped children's (cutime, cstime), so PostgreSQL's
// backends that end with an invocation are still counted (the postmaster reaped them), and so are the
// evaluate invocations that ended (this process spawned and reaped them).
import { readdirSync, readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';

/** The processes a benchmark measures (by command line or pid), besides PostgreSQL, the broker and itself. */
export interface MeterOptions {
  /** the component a process belongs to, or undefined when it is none of the benchmark's own */
  componentOf: (cmdline: string, pid: number) => string | undefined;
  /** the component the processes this one spawned and reaped belong to */
  reapedAs: string;
}

interface Snapshot {
  /** clock ticks by component */
  ticks: Record<string, number>;
  /** busy ticks of the whole machine (all cores; /proc/stat) */
  machineBusy: number;
  machineTotal: number;
}

const TICKS_PER_SEC = 100; // USER_HZ: 100 on every Linux architecture Node runs on

function componentOf(o: MeterOptions, pid: number, comm: string, cmdline: string): string | undefined {
  if (comm === 'postgres') return 'postgres';
  if (cmdline.includes('kafka.Kafka')) return 'kafka';
  return o.componentOf(cmdline, pid);
}

function readStat(pid: string): { comm: string; fields: string[] } | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const close = stat.lastIndexOf(')');
    return { comm: stat.slice(stat.indexOf('(') + 1, close), fields: stat.slice(close + 2).split(' ') };
  } catch {
    return undefined; // exited between the listing and the read
  }
}

function snapshot(o: MeterOptions): Snapshot {
  const ticks: Record<string, number> = { postgres: 0, kafka: 0, bench: 0, [o.reapedAs]: 0 };
  for (const pid of readdirSync('/proc')) {
    if (!/^\d+$/.test(pid)) continue;
    const stat = readStat(pid);
    if (!stat) continue;
    const f = stat.fields;
    const own = Number(f[11]) + Number(f[12]);
    const children = Number(f[13]) + Number(f[14]);
    if (Number(pid) === process.pid) {
      ticks.bench = (ticks.bench ?? 0) + own;
      ticks[o.reapedAs] = (ticks[o.reapedAs] ?? 0) + children;
      continue;
    }
    let cmdline = '';
    try {
      cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    } catch {
      continue;
    }
    const component = componentOf(o, Number(pid), stat.comm, cmdline.replaceAll('\0', ' '));
    if (component) ticks[component] = (ticks[component] ?? 0) + own + children;
  }
  const cpu = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
  // user nice system idle iowait irq softirq steal …: idle and iowait are the unused time
  const machineTotal = cpu.slice(0, 8).reduce((a, b) => a + b, 0);
  return { ticks, machineBusy: machineTotal - cpu[3]! - cpu[4]!, machineTotal };
}

export interface CpuReport {
  /** CPU milliseconds per job by component, and the machine's busy time not in any of them */
  msPerJob: Record<string, number> & { other: number; total: number };
  /** share of all cores busy during the window */
  machineBusyFraction: number;
  /** cores × 1000 / total CPU per job: the drain rate at which this machine's cores would all be busy */
  ceilingJobsPerSec: number;
}

/**
 * Starts measuring; `stop(jobs)` ends the window and divides by the jobs (or requests) done in it.
 * Undefined where there is no /proc to read.
 */
export function startCpuMeter(o: MeterOptions): { stop: (jobs: number) => CpuReport } | undefined {
  let first: Snapshot;
  try {
    first = snapshot(o);
  } catch {
    return undefined;
  }
  return {
    stop(jobs) {
      const last = snapshot(o);
      const ms = (ticks: number) => Number(((ticks * 1000) / TICKS_PER_SEC / Math.max(1, jobs)).toFixed(3));
      const msPerJob = {} as CpuReport['msPerJob'];
      let counted = 0;
      for (const k of new Set([...Object.keys(first.ticks), ...Object.keys(last.ticks)])) {
        const d = (last.ticks[k] ?? 0) - (first.ticks[k] ?? 0);
        counted += d;
        msPerJob[k] = ms(d);
      }
      const busy = last.machineBusy - first.machineBusy;
      // the machine's ticks are per core: a process on two cores for 1 s has 200 ticks, as does /proc/stat
      msPerJob.other = ms(Math.max(0, busy - counted));
      msPerJob.total = ms(Math.max(busy, counted));
      const all = last.machineTotal - first.machineTotal;
      return {
        msPerJob,
        machineBusyFraction: Number((busy / Math.max(1, all)).toFixed(3)),
        ceilingJobsPerSec: Math.round((availableParallelism() * 1000) / Math.max(0.001, msPerJob.total)),
      };
    },
  };
}
