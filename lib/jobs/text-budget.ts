// Bounds the documents an evaluator holds in memory, by design rather than by garbage-collector flags:
// a job's texts (CV, project report, overrides) are loaded only once its bytes fit in a budget shared by
// every batch of the invocation, and are let go when its evaluation ends. A batch of any size then holds
// at most `capacity` bytes of documents whatever their size (one job larger than the budget runs alone).
// Loads that start together are fetched in one statement.

export interface ByteBudget {
  /** waits until `bytes` (at most the capacity) are free; returns the release */
  take(bytes: number): Promise<() => void>;
  readonly inUse: number;
}

export function byteBudget(capacity: number): ByteBudget {
  let inUse = 0;
  const waiting: { bytes: number; grant: () => void }[] = [];
  const pump = () => {
    while (waiting.length > 0 && inUse + waiting[0]!.bytes <= capacity) {
      const next = waiting.shift()!;
      inUse += next.bytes;
      next.grant();
    }
  };
  return {
    get inUse() {
      return inUse;
    },
    take(bytes) {
      const n = Math.min(Math.max(0, bytes), capacity);
      return new Promise((resolve) => {
        let released = false;
        const release = () => {
          if (released) return;
          released = true;
          inUse -= n;
          pump();
        };
        waiting.push({ bytes: n, grant: () => resolve(release) });
        pump();
      });
    },
  };
}

/** Calls for keys made within one tick become one `load(keys)` (keys compared as a Set does: objects by identity). */
export function batchedLoader<K, V>(
  load: (keys: K[]) => Promise<Map<K, V>>,
): (key: K) => Promise<V | undefined> {
  let pending: { key: K; resolve: (v: V | undefined) => void; reject: (e: unknown) => void }[] = [];
  const flush = async () => {
    const batch = pending;
    pending = [];
    try {
      const found = await load([...new Set(batch.map((p) => p.key))]);
      for (const p of batch) p.resolve(found.get(p.key));
    } catch (err) {
      for (const p of batch) p.reject(err);
    }
  };
  return (key) =>
    new Promise((resolve, reject) => {
      if (pending.length === 0) setImmediate(() => void flush());
      pending.push({ key, resolve, reject });
    });
}
