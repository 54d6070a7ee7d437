// Calls made within one tick, answered by one call for all their keys: a batch's evaluations start
// together, so their text loads and their provider-call claims each become one statement.

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
