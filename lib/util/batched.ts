// Calls made within one tick, run as one operation: with many concurrent requests, round trips, not CPU,
// are what a request costs. `batched` runs the items (one SQL statement marks many jobs published);
// `batchedLoader` answers each call from one load of all their keys (a batch's evaluations start
// together, so their text loads and their provider-call claims each become one statement).

interface Waiting<I, V> {
  item: I;
  resolve: (value: V) => void;
  reject: (err: unknown) => void;
}

/** The calls of one tick, at most `maxBatch` a time (the rest in the next turn), handed to `flush`. */
function perTick<I, V>(
  flush: (batch: Waiting<I, V>[]) => Promise<void>,
  maxBatch: number,
): (item: I) => Promise<V> {
  const pending: Waiting<I, V>[] = [];
  let scheduled = false;
  const run = () => {
    scheduled = false;
    const batch = pending.splice(0, maxBatch);
    if (pending.length) schedule();
    void flush(batch);
  };
  const schedule = () => {
    if (scheduled) return;
    scheduled = true;
    setImmediate(run);
  };
  return (item) =>
    new Promise<V>((resolve, reject) => {
      pending.push({ item, resolve, reject });
      schedule();
    });
}

/** Every caller of a batch settles with the batch: `answer` gives each its value, a failure rejects all. */
async function settle<I, V>(batch: Waiting<I, V>[], work: () => Promise<(item: I) => V>): Promise<void> {
  try {
    const answer = await work();
    for (const w of batch) w.resolve(answer(w.item));
  } catch (err) {
    for (const w of batch) w.reject(err);
  }
}

/** The items of one tick's calls become one `run(items)`; each call resolves when it has. */
export function batched<T>(run: (items: T[]) => Promise<void>, maxBatch = 500): (item: T) => Promise<void> {
  return perTick<T, void>(
    (batch) =>
      settle(batch, async () => {
        await run(batch.map((w) => w.item));
        return () => undefined;
      }),
    maxBatch,
  );
}

/** Calls for keys made within one tick become one `load(keys)` (keys compared as a Set does: objects by identity). */
export function batchedLoader<K, V>(
  load: (keys: K[]) => Promise<Map<K, V>>,
): (key: K) => Promise<V | undefined> {
  return perTick<K, V | undefined>(
    (batch) =>
      settle(batch, async () => {
        const found = await load([...new Set(batch.map((w) => w.item))]);
        return (key) => found.get(key);
      }),
    Number.POSITIVE_INFINITY,
  );
}
