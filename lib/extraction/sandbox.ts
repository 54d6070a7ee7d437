// The extraction sandbox: every uploaded file is parsed in a worker thread, never on the event loop that
// answers HTTP. Each worker has a V8 heap cap (resourceLimits), a watchdog on heap + ArrayBuffer memory
// (pdf.js and zlib buffers live outside the V8 heap, which resourceLimits do not cap) and a hard
// deadline; crossing either terminates the worker and the file is refused. A few workers per instance;
// requests beyond them wait in a bounded queue, for a bounded time, and are otherwise turned away (503).
import { Worker } from 'node:worker_threads';
import { AppError, codes, isErrorCode } from '../errors.ts';
import { type Extracted, ExtractionError, type ExtractionLimits } from '../evaluation/extract.ts';
import type { ReplyMessage, TaskMessage } from './worker.ts';

export interface SandboxOptions {
  /** workers (files parsed at once) */
  workers: number;
  /** files waiting for a worker; one more is refused at once */
  queue: number;
  /** longest a file waits for a worker before it is refused */
  queueTimeoutMs: number;
  /** hard deadline for one file, from the moment a worker takes it */
  timeoutMs: number;
  /** V8 old-generation cap of each worker */
  heapMb: number;
  /** heap + ArrayBuffer memory of a worker beyond which its file is refused */
  memoryMb: number;
  limits: ExtractionLimits;
}

/** The instance is parsing as many files as it may: retry shortly (503 with Retry-After). */
export class SandboxBusyError extends AppError {
  readonly headers = { 'retry-after': '2' };
  constructor(message: string) {
    super(codes.EXTRACTION_BUSY, message);
  }
}

interface Task {
  bytes: Uint8Array;
  resolve: (e: Extracted) => void;
  reject: (err: unknown) => void;
  queuedTimer?: NodeJS.Timeout;
}

interface Slot {
  worker: Worker;
  busy: boolean;
  /** resolves once the worker has loaded its parsers; false if it died or took too long */
  ready: Promise<boolean>;
}

/** Longest a new worker may take to load its parsers (a busy machine can take seconds). */
const BOOT_TIMEOUT_MS = 30_000;

const WATCH_EVERY_MS = 25;

export class ExtractionSandbox {
  private readonly o: SandboxOptions;
  private readonly slots: Slot[] = [];
  private readonly waiting: Task[] = [];
  private nextId = 1;
  private closed = false;
  /** figures for benchmarks and tests */
  readonly stats = { completed: 0, refused: 0, timedOut: 0, overMemory: 0, busy: 0, respawned: 0 };

  constructor(options: SandboxOptions) {
    this.o = options;
  }

  extract(bytes: Uint8Array): Promise<Extracted> {
    if (this.closed) return Promise.reject(new SandboxBusyError('the service is shutting down'));
    return new Promise<Extracted>((resolve, reject) => {
      const task: Task = { bytes, resolve, reject };
      const free = this.freeSlot();
      if (free) return this.run(free, task);
      if (this.waiting.length >= this.o.queue) {
        this.stats.busy += 1;
        return reject(new SandboxBusyError('too many files are being read right now; retry shortly'));
      }
      task.queuedTimer = setTimeout(() => {
        const i = this.waiting.indexOf(task);
        if (i >= 0) this.waiting.splice(i, 1);
        this.stats.busy += 1;
        reject(new SandboxBusyError('too many files are being read right now; retry shortly'));
      }, this.o.queueTimeoutMs);
      this.waiting.push(task);
    });
  }

  /** Starts the workers ahead of the first upload (each loads pdf.js and mammoth: ~100 ms). */
  warm(): void {
    while (this.slots.length < this.o.workers) this.slots.push(this.spawn());
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const t of this.waiting.splice(0)) {
      clearTimeout(t.queuedTimer);
      t.reject(new SandboxBusyError('the service is shutting down'));
    }
    await Promise.all(this.slots.splice(0).map((s) => s.worker.terminate()));
  }

  private freeSlot(): Slot | undefined {
    const idle = this.slots.find((s) => !s.busy);
    if (idle) return idle;
    if (this.slots.length < this.o.workers) {
      const slot = this.spawn();
      this.slots.push(slot);
      return slot;
    }
    return undefined;
  }

  private spawn(): Slot {
    const worker = new Worker(new URL('./worker.ts', import.meta.url), {
      resourceLimits: {
        maxOldGenerationSizeMb: this.o.heapMb,
        // A small young generation: parsing makes short-lived garbage, and RSS is what a pod pays for.
        maxYoungGenerationSizeMb: Math.max(2, Math.min(8, Math.floor(this.o.heapMb / 16))),
        stackSizeMb: 4,
      },
      // The worker must not keep a finished process alive.
      stdout: false,
      stderr: false,
    });
    worker.unref();
    const ready = new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => resolve(false), BOOT_TIMEOUT_MS);
      const done = (ok: boolean) => {
        clearTimeout(timer);
        worker.off('message', onMessage);
        resolve(ok);
      };
      const onMessage = (m: { ready?: boolean }) => {
        if (m.ready) done(true);
      };
      worker.on('message', onMessage);
      worker.once('error', () => done(false));
      worker.once('exit', () => done(false));
    });
    return { worker, busy: false, ready };
  }

  private run(slot: Slot, task: Task): void {
    slot.busy = true;
    // The deadline covers parsing, not the worker's start-up: wait until it has loaded its parsers.
    void slot.ready.then((ok) => {
      if (ok) return this.start(slot, task);
      const i = this.slots.indexOf(slot);
      if (i >= 0) this.slots.splice(i, 1);
      void slot.worker.terminate();
      this.stats.busy += 1;
      task.reject(new SandboxBusyError('the file reader could not start; retry shortly'));
      this.next();
    });
  }

  private start(slot: Slot, task: Task): void {
    const id = this.nextId++;
    const { worker } = slot;
    let settled = false;
    const finish = (outcome: { ok: Extracted } | { err: unknown }, replace: boolean) => {
      if (settled) return;
      settled = true;
      clearTimeout(deadline);
      clearInterval(watchdog);
      worker.off('message', onMessage);
      worker.off('error', onError);
      worker.off('exit', onExit);
      if (replace) {
        void worker.terminate();
        this.stats.respawned += 1;
        const i = this.slots.indexOf(slot);
        if (i >= 0) this.slots.splice(i, 1);
      } else {
        slot.busy = false;
      }
      if ('ok' in outcome) {
        this.stats.completed += 1;
        task.resolve(outcome.ok);
      } else {
        this.stats.refused += 1;
        task.reject(outcome.err);
      }
      this.next();
    };
    const onMessage = (m: ReplyMessage) => {
      if (m.id !== id) return;
      if ('ok' in m) finish({ ok: m.ok as Extracted }, false);
      else
        finish(
          {
            err: new ExtractionError(
              isErrorCode(m.error.code) ? m.error.code : codes.CORRUPT_FILE,
              m.error.message,
            ),
          },
          false,
        );
    };
    const tooComplex = () =>
      new ExtractionError(
        codes.DOCUMENT_TOO_COMPLEX,
        `reading the file needed more than ${this.o.memoryMb} MB of memory; simplify or re-save it`,
      );
    const onError = (err: Error & { code?: string }) => {
      if (err.code === 'ERR_WORKER_OUT_OF_MEMORY') this.stats.overMemory += 1;
      finish({ err: tooComplex() }, true);
    };
    const onExit = () => finish({ err: tooComplex() }, true);
    worker.on('message', onMessage);
    worker.on('error', onError);
    worker.on('exit', onExit);
    const deadline = setTimeout(() => {
      this.stats.timedOut += 1;
      finish(
        {
          err: new ExtractionError(
            codes.EXTRACTION_TIMEOUT,
            `reading the file took longer than ${this.o.timeoutMs} ms`,
          ),
        },
        true,
      );
    }, this.o.timeoutMs);
    const capBytes = this.o.memoryMb * 1024 * 1024;
    const watchdog = setInterval(() => {
      worker
        .getHeapStatistics()
        .then((h) => {
          if (h.used_heap_size + h.external_memory > capBytes) {
            this.stats.overMemory += 1;
            finish({ err: tooComplex() }, true);
          }
        })
        .catch(() => {});
    }, WATCH_EVERY_MS);
    // The bytes are copied once into the worker (transfer would detach the caller's buffer).
    worker.postMessage({ id, bytes: task.bytes, limits: this.o.limits } satisfies TaskMessage);
  }

  private next(): void {
    while (this.waiting.length > 0) {
      const slot = this.freeSlot();
      if (!slot) return;
      const task = this.waiting.shift()!;
      clearTimeout(task.queuedTimer);
      this.run(slot, task);
    }
  }
}
