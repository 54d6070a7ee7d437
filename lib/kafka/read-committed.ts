// read_committed as the Java consumer does it. kafkajs 2.2.4 (consumer/filterAbortedMessages.js) takes
// the broker's list of aborted transactions of a fetch as sorted by first offset — the broker sends it
// in the order the transactions ended — and moves at most one transaction off that list per record. When
// transactions of several producers interleave on a partition (one producer per input partition writes
// to every output partition) and some are aborted, records of aborted transactions then reach the
// consumer, and a producer's committed records can be hidden until its next abort marker. Seen on the
// real broker: an aborted, retried transaction's outputs read twice, while a Java read_committed consumer
// read each once.
//
// The fix works where the fetch response is decoded: the aborted transactions are sorted, every one that
// started at or before a record counts from that record on (until its producer's abort marker), and the
// records they cover are marked as control records, which kafkajs leaves out of batch.messages but keeps
// for its offset bookkeeping; kafkajs' own filter then gets an empty list.
import { createRequire } from 'node:module';

export interface FetchedRecord {
  offset: string;
  key: Buffer | null;
  isControlRecord?: boolean;
  batchContext?: { producerId?: string; inTransaction?: boolean };
}

export interface AbortedTransaction {
  producerId: string;
  firstOffset: string;
}

/** A control record whose type (bytes 2–3 of its key, after the version) is 0: ABORT. */
function isAbortMarker(r: FetchedRecord): boolean {
  return !!r.isControlRecord && !!r.key && r.key.length >= 4 && r.key.readInt16BE(2) === 0;
}

/** Marks the records of aborted transactions as control records; returns how many it marked. */
export function markAborted(records: FetchedRecord[], aborted: AbortedTransaction[]): number {
  if (aborted.length === 0) return 0;
  const pending = [...aborted].sort((a, b) => {
    const x = BigInt(a.firstOffset);
    const y = BigInt(b.firstOffset);
    return x < y ? -1 : x > y ? 1 : 0;
  });
  const abortedProducers = new Set<string>();
  let marked = 0;
  for (const r of records) {
    const offset = BigInt(r.offset);
    while (pending.length > 0 && BigInt(pending[0]!.firstOffset) <= offset)
      abortedProducers.add(pending.shift()!.producerId);
    const producerId = r.batchContext?.producerId;
    if (producerId === undefined) continue;
    if (r.isControlRecord) {
      if (isAbortMarker(r)) abortedProducers.delete(producerId);
      continue;
    }
    if (r.batchContext?.inTransaction && abortedProducers.has(producerId)) {
      r.isControlRecord = true;
      marked++;
    }
  }
  return marked;
}

interface FetchResponse {
  responses?: { partitions?: { abortedTransactions?: AbortedTransaction[]; messages?: FetchedRecord[] }[] }[];
}

/** Fetch versions whose response carries aborted transactions (kafkajs decodes v4–v11). */
const VERSIONS = [4, 5, 6, 7, 8, 9, 10, 11];
let installed = false;

/** Replaces kafkajs' aborted-transaction filter for every consumer of this process (idempotent). */
export function installReadCommittedFix(): void {
  if (installed) return;
  installed = true;
  const require = createRequire(import.meta.url);
  for (const v of VERSIONS) {
    // Each version's module object is what the request reads `decode` from at every call.
    const mod = require(`kafkajs/src/protocol/requests/fetch/v${v}/response`) as {
      decode: (raw: Buffer) => Promise<FetchResponse>;
    };
    const decode = mod.decode;
    mod.decode = async (raw) => {
      const data = await decode(raw);
      for (const topic of data.responses ?? []) {
        for (const p of topic.partitions ?? []) {
          if (!p.abortedTransactions?.length) continue;
          markAborted(p.messages ?? [], p.abortedTransactions);
          p.abortedTransactions = [];
        }
      }
      return data;
    };
  }
}
