// Remembers a function's results for the few inputs a service sees over and over (the job descriptions,
// briefs and rubrics of its open positions): the most recently used `max` are kept, so memory stays
// bounded whatever the inputs. Only results are remembered; an input that throws is tried again.
export function boundedMemo<K, V>(fn: (key: K) => V, max = 64): (key: K) => V {
  const entries = new Map<K, V>();
  return (key) => {
    if (entries.has(key)) {
      const value = entries.get(key) as V;
      // re-inserted: a Map iterates in insertion order, so the first key is the least recently used
      entries.delete(key);
      entries.set(key, value);
      return value;
    }
    const value = fn(key);
    if (entries.size >= max) entries.delete(entries.keys().next().value as K);
    entries.set(key, value);
    return value;
  };
}
