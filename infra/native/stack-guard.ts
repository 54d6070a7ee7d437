// What `stack:up` may do with what it finds, decided BEFORE it touches any directory: a stack whose
// brokers (some or all) are alive is running — reuse it or refuse, never wipe it; a port taken by
// anything or a live process started from this stack's directory also stops it. Only a stack with no
// live broker, no process using its directory and free ports may be formatted afresh.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import type { BrokerNode } from './kafka.ts';

export interface ObservedStack {
  /** the state file of this stack directory, if any */
  state?: { mode: 'native' | 'docker'; brokers: Pick<BrokerNode, 'id' | 'pid'>[] };
  /** brokers of the state file whose process is alive */
  alivePids: Set<number>;
  /** ports the requested stack would listen on that something already answers on */
  portsInUse: number[];
  /** live processes whose command line names this stack directory (brokers the state file forgot) */
  processesUsingDir: number[];
}

export interface UpRequest {
  mode: 'native' | 'docker';
  brokers: number;
}

export type UpDecision =
  | { action: 'reuse'; message: string }
  | { action: 'start' }
  | { action: 'refuse'; message: string };

export function decideUp(seen: ObservedStack, want: UpRequest): UpDecision {
  const { state } = seen;
  if (state?.mode === 'docker') {
    if (want.mode === 'docker') return { action: 'reuse', message: 'stack already running (docker)' };
    return { action: 'refuse', message: 'a docker stack is running: npm run stack:down first' };
  }
  if (state) {
    const alive = state.brokers.filter((b) => b.pid !== undefined && seen.alivePids.has(b.pid));
    const down = state.brokers.filter((b) => !alive.includes(b));
    if (alive.length === state.brokers.length && alive.length > 0) {
      if (want.mode === 'native' && state.brokers.length === want.brokers)
        return { action: 'reuse', message: 'stack already running' };
      return {
        action: 'refuse',
        message: `a native stack with ${state.brokers.length} broker(s) is running: npm run stack:down first`,
      };
    }
    if (alive.length > 0) {
      const ids = down.map((b) => b.id);
      return {
        action: 'refuse',
        message:
          `the stack is running with broker ${ids.join(', ')} down (broker ${alive.map((b) => b.id).join(', ')} alive); ` +
          `nothing was touched. Bring it back with ${ids.map((id) => `npm run stack:restart-broker -- ${id}`).join(' and ')}, ` +
          'or stop the whole stack with npm run stack:down',
      };
    }
  }
  if (seen.processesUsingDir.length > 0) {
    return {
      action: 'refuse',
      message: `process(es) ${seen.processesUsingDir.join(', ')} still use this stack's directory; nothing was touched (npm run stack:down, or stop them)`,
    };
  }
  if (seen.portsInUse.length > 0) {
    return {
      action: 'refuse',
      message: `port ${seen.portsInUse.join(', ')} already in use (another Kafka, or a stack started from another checkout or STACK_DIR?); nothing was touched — set STACK_PORT_BASE for a stack beside it`,
    };
  }
  return { action: 'start' };
}

/** Live processes whose command line names a broker directory under dir (Linux /proc; elsewhere none). */
export function brokerProcessesUnder(dir: string): number[] {
  if (!existsSync('/proc')) return [];
  const out: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      const cmdline = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0');
      if (cmdline.some((arg) => arg.startsWith(`${dir}/kafka-`))) out.push(Number(entry));
    } catch {
      // gone meanwhile, or not ours to read
    }
  }
  return out;
}
