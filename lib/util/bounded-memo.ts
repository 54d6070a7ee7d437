// Bounded memory for what a long-lived process remembers about inputs it keeps seeing: the most
// recently used `max` entries are kept, the least recently used dropped first, whatever the inputs.

/** A Map of at most `max` entries; `get` and `set` make an entry the most recently used. */
export class BoundedMap<K, V> {
  readonly #entries = new Map<K, V>();
  readonly max: number;

  constructor(max: number) {
    this.max = max;
  }

  get size(): number {
    return this.#entries.size;
  }

  has(key: K): boolean {
    return this.#entries.has(key);
  }

  get(key: K): V | undefined {
    if (!this.#entries.has(key)) return undefined;
    const value = this.#entries.get(key) as V;
    // re-inserted: a Map iterates in insertion order, so the first key is the least recently used
    this.#entries.delete(key);
    this.#entries.set(key, value);
    return value;
  }

  set(key: K, value: V): this {
    this.#entries.delete(key);
    this.#entries.set(key, value);
    if (this.#entries.size > this.max) this.#entries.delete(this.#entries.keys().next().value as K);
    return this;
  }

  delete(key: K): boolean {
    return this.#entries.delete(key);
  }
}

/**
 * Remembers a function's results for the few inputs a service sees over and over (the job descriptions,
 * briefs and rubrics of its open positions). Only results are remembered; an input that throws is tried
 * again.
 */
export function boundedMemo<K, V>(fn: (key: K) => V, max = 64): (key: K) => V {
  const entries = new BoundedMap<K, V>(max);
  return (key) => {
    if (entries.has(key)) return entries.get(key) as V;
    const value = fn(key);
    entries.set(key, value);
    return value;
  };
}
