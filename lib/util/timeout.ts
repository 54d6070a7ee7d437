// Races work against a timer; the timer never outlives the race. The work itself is not cancelled
// (pdf.js and kafkajs take no signal), so callers must be fine with it finishing in the background.
export function withTimeout<T>(work: Promise<T> | T, ms: number, onTimeout: () => Error): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(onTimeout()), ms);
  });
  return Promise.race([Promise.resolve(work), timeout]).finally(() => clearTimeout(timer));
}
