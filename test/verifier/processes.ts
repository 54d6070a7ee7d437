// Stage 2: the processes of a run — submit instances and evaluate invocations under the verifier's
// own scheduler (an invocation that exits is started again, like a job platform would), and what their
// logs say: the engine's events are counted here, read from the structured log lines.
import { type ChildProcess, spawn } from 'node:child_process';
import { createWriteStream, mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { ENGINE_EVENTS } from '../../lib/kafka/events.ts';
import { log, sleep } from './options.ts';

const root = fileURLToPath(new URL('../../', import.meta.url));

export interface Managed {
  name: string;
  child?: ChildProcess;
  port?: number;
  instanceId: string;
}

/** Engine events the verifier counts, by the `event` field the engine logs (lib/kafka/events.ts). */
export type EngineSignal =
  | 'joined'
  | 'batch-started'
  | 'fenced'
  | 'aborted'
  | 'partition-refused'
  | 'dependency-unavailable'
  | 'shutdown-timed-out'
  | 'shutdown-watchdog'
  | 'invocation-finished';

const SIGNALS: [needle: string, signal: EngineSignal][] = [
  [ENGINE_EVENTS.batchStarted, 'batch-started'],
  [ENGINE_EVENTS.joined, 'joined'],
  [ENGINE_EVENTS.fenced, 'fenced'],
  [ENGINE_EVENTS.aborted, 'aborted'],
  [ENGINE_EVENTS.partitionRefused, 'partition-refused'],
  [ENGINE_EVENTS.dependencyUnavailable, 'dependency-unavailable'],
  [ENGINE_EVENTS.shutdownTimedOut, 'shutdown-timed-out'],
  [ENGINE_EVENTS.shutdownWatchdog, 'shutdown-watchdog'],
].map(([event, signal]) => [`"event":"${event}"`, signal as EngineSignal]);

/** Which counted event a log line is, if any (substring tests: most lines are not parsed at all). */
export function engineSignal(line: string): EngineSignal | undefined {
  for (const [needle, signal] of SIGNALS) if (line.includes(needle)) return signal;
  // the evaluate function's own last line of an invocation, with its report
  if (line.includes('"msg":"invocation finished"')) return 'invocation-finished';
  return undefined;
}

/**
 * Calls `crashed` when `child` ends with a non-zero exit code without having said why on stdout (an
 * `invocation finished` or `invocation failed` line, or a stop's missed deadline): an uncaught exception or rejection. A kill by
 * signal has no exit code and is not a crash.
 */
export function onCrash(child: ChildProcess, crashed: () => void): void {
  let explained = false;
  let tail = '';
  child.stdout?.on('data', (c: Buffer) => {
    const text = tail + c.toString();
    // a stop past its deadline (lib/util/stop-deadline.ts) says so too
    if (/"msg":"invocation (finished|failed)"|"event":"shutdown\.deadline"/.test(text)) explained = true;
    tail = text.slice(-40); // a line split between two chunks
  });
  // 'close', not 'exit': by then every line the process wrote has been read
  child.on('close', (code) => {
    if (code !== 0 && code !== null && !explained) crashed();
  });
}

export class Fleet {
  readonly evaluators: Managed[];
  readonly submits: Managed[];
  /** notify invocations, scheduled like evaluators (the verifier's webhook receiver needs them) */
  readonly notifiers: Managed[];
  readonly counters = {
    joins: 0,
    fencedLines: 0,
    txErrors: 0,
    refusedPartitions: 0,
    dependencyUnavailable: 0,
    invocations: 0,
    fenced: 0,
    swept: 0,
    evaluatorExits: 0,
    evaluatorFailures: 0,
    notifyInvocations: 0,
    notifyFailures: 0,
    /**
     * Processes that died on their own: a non-zero exit with no word of why in their log (an uncaught
     * exception, an unhandled rejection). A failure the function reports — an outage that outlasted its
     * budget — is not one; the verifier's own kills (signals) are not either.
     */
    crashes: { evaluate: 0, notify: 0, submit: 0 },
    /** invocations whose leaving outlasted its bound: ended by its timer, or killed by its watchdog */
    stuckShutdowns: { timedOut: 0, watchdog: 0 },
  };
  private stopping = false;
  /** while held, exited evaluators are not started again (the group must be empty to delete its offsets) */
  private held = false;
  private joinWaiters: (() => void)[] = [];
  private busyWaiters = new Map<ChildProcess, () => void>();

  private env: Record<string, string | undefined>;
  private run: string;
  private random: () => number;
  private submitPortBase: number;

  constructor(
    env: Record<string, string | undefined>,
    run: string,
    random: () => number,
    counts: { evaluators: number; submits: number; notifiers?: number },
    submitPortBase = 18200,
  ) {
    this.env = env;
    this.run = run;
    this.random = random;
    this.submitPortBase = submitPortBase;
    this.evaluators = Array.from({ length: counts.evaluators }, (_, i) => ({
      name: `evaluate-${i}`,
      instanceId: `${run}-evaluate-${i}`,
    }));
    this.notifiers = Array.from({ length: counts.notifiers ?? 0 }, (_, i) => ({
      name: `notify-${i}`,
      instanceId: `${run}-notify-${i}`,
    }));
    this.submits = Array.from({ length: counts.submits }, (_, i) => ({
      name: `submit-${i}`,
      port: submitPortBase + i,
      instanceId: `${run}-submit-${i}`,
    }));
  }

  async start(): Promise<void> {
    for (const s of this.submits) this.startSubmit(s);
    for (const e of this.evaluators) this.startEvaluator(e);
    for (const n of this.notifiers) this.startNotifier(n);
    for (const s of this.submits) await this.waitHealthy(s);
  }

  /** A second submit process with the same instance id as `target`, on its own port, kept to the end. */
  async startTwin(target: Managed): Promise<Managed> {
    const twin: Managed = {
      name: `${target.name}-twin`,
      port: this.submitPortBase + 50 + this.submits.length,
      instanceId: target.instanceId,
    };
    this.submits.push(twin);
    this.startSubmit(twin);
    await this.waitHealthy(twin);
    return twin;
  }

  liveSubmitPort(): number {
    const live = this.submits.filter((s) => s.child);
    return (live[Math.floor(Math.random() * live.length)] ?? this.submits[0]!).port!;
  }

  /** Resolves when the next rebalance has been seen by any evaluator. */
  nextJoin(): Promise<void> {
    return new Promise((r) => this.joinWaiters.push(r));
  }

  /** Resolves when `child` starts handling a batch (or exits). */
  busy(child: ChildProcess): Promise<void> {
    return new Promise<void>((r) => this.busyWaiters.set(child, r)).finally(() =>
      this.busyWaiters.delete(child),
    );
  }

  /** Stops every evaluator and keeps them stopped until release(): the group becomes empty. */
  async holdEvaluators(): Promise<void> {
    this.held = true;
    const live = this.evaluators.map((e) => e.child).filter((c): c is ChildProcess => !!c);
    for (const c of live) c.kill('SIGCONT');
    for (const c of live) c.kill('SIGTERM');
    await Promise.race([Promise.all(live.map(exited)), sleep(30_000)]);
    for (const c of live) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    await Promise.all(live.map(exited));
  }

  releaseEvaluators(): void {
    this.held = false;
    for (const e of this.evaluators) if (!e.child) this.startEvaluator(e);
  }

  async stopAll(): Promise<void> {
    this.stopping = true;
    const all = [...this.evaluators, ...this.submits, ...this.notifiers]
      .map((m) => m.child)
      .filter((c): c is ChildProcess => !!c);
    for (const c of all) c.kill('SIGCONT');
    for (const c of all) c.kill('SIGTERM');
    await Promise.race([Promise.all(all.map(exited)), sleep(30_000)]);
    for (const c of all) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  }

  private startEvaluator(slot: Managed): void {
    // Budgets vary so invocations start and end at different times (every start and stop is a rebalance).
    const child = spawn(process.execPath, ['functions/evaluate/index.ts'], {
      cwd: root,
      env: {
        ...this.env,
        EVALUATE_MAX_DURATION_MS: String(4000 + Math.floor(this.random() * 8000)),
        INSTANCE_ID: slot.instanceId,
      },
      stdio: ['ignore', 'pipe', process.env.VERIFY_LOG_DIR ? 'pipe' : 'ignore'],
    });
    slot.child = child;
    this.watch(child, slot.name);
    onCrash(child, () => this.counters.crashes.evaluate++);
    child.on('exit', (code) => {
      this.counters.evaluatorExits += 1;
      if (code !== 0 && code !== null) this.counters.evaluatorFailures += 1;
      if (slot.child === child) slot.child = undefined;
      if (!this.stopping && !this.held)
        setTimeout(() => !this.stopping && !this.held && !slot.child && this.startEvaluator(slot), 200);
    });
  }

  /** A notify invocation, started again when it exits (a job platform's schedule), until stopAll. */
  private startNotifier(slot: Managed): void {
    const child = spawn(process.execPath, ['functions/notify/index.ts'], {
      cwd: root,
      env: {
        ...this.env,
        NOTIFY_MAX_DURATION_MS: String(4000 + Math.floor(this.random() * 8000)),
        INSTANCE_ID: slot.instanceId,
      },
      stdio: ['ignore', 'pipe', process.env.VERIFY_LOG_DIR ? 'pipe' : 'ignore'],
    });
    slot.child = child;
    this.watch(child, slot.name, 'notify');
    onCrash(child, () => this.counters.crashes.notify++);
    child.on('exit', (code) => {
      if (code !== 0 && code !== null) this.counters.notifyFailures += 1;
      if (slot.child === child) slot.child = undefined;
      if (!this.stopping) setTimeout(() => !this.stopping && !slot.child && this.startNotifier(slot), 200);
    });
  }

  private startSubmit(s: Managed): void {
    const child = spawn(process.execPath, ['functions/submit/index.ts'], {
      cwd: root,
      env: { ...this.env, PORT: String(s.port), HOST: '127.0.0.1', INSTANCE_ID: s.instanceId },
      stdio: ['ignore', 'ignore', 'ignore'],
    });
    s.child = child;
    // submit's output is not read: any non-zero exit code is a crash (a kill's code is null)
    onCrash(child, () => this.counters.crashes.submit++);
    child.on('exit', () => {
      if (s.child === child) s.child = undefined;
      if (!this.stopping) setTimeout(() => !this.stopping && !s.child && this.startSubmit(s), 500);
    });
  }

  private async waitHealthy(s: Managed): Promise<void> {
    for (let i = 0; i < 600; i++) {
      const ok = await fetch(`http://127.0.0.1:${s.port}/healthz`).then(
        (r) => r.ok,
        () => false,
      );
      if (ok) return;
      await sleep(200);
    }
    log(`${s.name} did not answer /healthz within 120 s`);
  }

  private watch(child: ChildProcess, name: string, role: 'evaluate' | 'notify' = 'evaluate'): void {
    let buffer = '';
    // VERIFY_LOG_DIR keeps every invocation's log, one file per process, for a post-mortem
    const dir = process.env.VERIFY_LOG_DIR;
    if (dir) {
      mkdirSync(dir, { recursive: true });
      child.stdout!.pipe(createWriteStream(`${dir}/${this.run}-${name}-${child.pid}.log`));
      // what a process prints as it dies (an uncaught exception) goes to stderr, not to its log
      child.stderr?.pipe(createWriteStream(`${dir}/${this.run}-${name}-${child.pid}.stderr`));
    }
    child.on('exit', () => this.busyWaiters.get(child)?.());
    child.stdout!.on('data', (c: Buffer) => {
      buffer += c.toString();
      const lines = buffer.split('\n');
      buffer = lines.pop() ?? '';
      for (const line of lines) {
        if (role === 'evaluate') this.count(child, line);
        else if (line.includes('"msg":"invocation finished"')) this.counters.notifyInvocations += 1;
      }
    });
  }

  private count(child: ChildProcess, line: string): void {
    const c = this.counters;
    switch (engineSignal(line)) {
      case 'batch-started':
        this.busyWaiters.get(child)?.();
        break;
      case 'fenced':
        c.fencedLines += 1;
        break;
      case 'aborted':
        c.txErrors += 1;
        if (c.txErrors <= 3) log(`transaction error: ${line.slice(0, 400)}`);
        break;
      case 'joined':
        c.joins += 1;
        for (const w of this.joinWaiters.splice(0)) w();
        break;
      case 'partition-refused':
        c.refusedPartitions += 1;
        if (c.refusedPartitions <= 3) log(`partition refused: ${line.slice(0, 400)}`);
        break;
      case 'dependency-unavailable':
        c.dependencyUnavailable += 1;
        break;
      case 'shutdown-timed-out':
        c.stuckShutdowns.timedOut += 1;
        log(`stuck shutdown: ${line.slice(0, 400)}`);
        break;
      case 'shutdown-watchdog':
        c.stuckShutdowns.watchdog += 1;
        log(`stuck shutdown, process killed: ${line.slice(0, 400)}`);
        break;
      case 'invocation-finished': {
        c.invocations += 1;
        const inv = JSON.parse(line).invocation as { fenced?: number; swept?: number };
        c.fenced += inv.fenced ?? 0;
        c.swept += inv.swept ?? 0;
        break;
      }
    }
  }
}

function exited(c: ChildProcess): Promise<void> {
  return new Promise((r) => (c.exitCode !== null || c.signalCode !== null ? r() : c.once('exit', () => r())));
}
