// Bounds the documents an evaluator holds in memory, by design rather than by garbage-collector flags:
// a job's texts (CV, project report, overrides) are loaded only once its bytes fit in a budget shared by
// every batch of the invocation, and are let go when its evaluation ends. A batch of any size then holds
// at most `capacity` bytes of documents whatever their size (one job larger than the budget runs alone).

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
