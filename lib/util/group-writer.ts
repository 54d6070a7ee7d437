// Writes items in small groups while they are still being produced, instead of once at the end: what a
// process loses when it dies is then at most one group plus what was in flight, not the whole batch.
// One write at a time, in order. After a failed write nothing more is written (the caller keeps what
// was not written, to retry it), and finish() raises that failure.

export interface GroupWriter<T> {
  add(item: T): void;
  /** writes what is left, waits for every write, and raises the first failure */
  finish(): Promise<void>;
}

export function groupWriter<T>(
  write: (group: T[]) => Promise<void>,
  o: { groupSize: number; maxDelayMs: number },
): GroupWriter<T> {
  let pending: T[] = [];
  let chain: Promise<void> = Promise.resolve();
  let failure: { err: unknown } | undefined;
  let timer: NodeJS.Timeout | undefined;

  const flush = () => {
    clearTimeout(timer);
    timer = undefined;
    if (pending.length === 0) return;
    const group = pending;
    pending = [];
    chain = chain.then(async () => {
      if (failure) return;
      try {
        await write(group);
      } catch (err) {
        failure = { err };
      }
    });
  };

  return {
    add(item) {
      pending.push(item);
      if (pending.length >= o.groupSize) flush();
      // a slow producer (a real model takes seconds per item) still writes within maxDelayMs
      else if (!timer) timer = setTimeout(flush, o.maxDelayMs).unref();
    },
    async finish() {
      flush();
      await chain;
      if (failure) throw failure.err;
    },
  };
}
