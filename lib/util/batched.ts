// Collects calls made within one tick and runs them as one operation (one SQL statement for many
// requests): with many concurrent requests, round trips, not CPU, are what a request costs.
export function batched<T>(run: (items: T[]) => Promise<void>, maxBatch = 500): (item: T) => Promise<void> {
  const pending: { item: T; resolve: () => void; reject: (e: unknown) => void }[] = [];
  let scheduled = false;
  const flush = async () => {
    scheduled = false;
    const batch = pending.splice(0, maxBatch);
    if (pending.length) schedule();
    try {
      await run(batch.map((p) => p.item));
      for (const p of batch) p.resolve();
    } catch (err) {
      for (const p of batch) p.reject(err);
    }
  };
  const schedule = () => {
    if (scheduled) return;
    scheduled = true;
    setImmediate(() => void flush());
  };
  return (item) =>
    new Promise<void>((resolve, reject) => {
      pending.push({ item, resolve, reject });
      schedule();
    });
}
