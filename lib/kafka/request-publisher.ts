// The request side of the engine: short-lived transactional producers for
// request handlers. Each instance owns a bounded set of transactional ids (instance identity + slot +
// lane). Requests for the same key always use the same slot, and the requests that arrive while a slot's
// transaction is in flight are published together in its next transaction (group commit). A caller's
// promise resolves only after the transaction holding its record committed.
//
// A slot takes turns on its lanes (transactional ids), one transaction per lane at a time. After a
// commit is answered the coordinator still writes the transaction's markers, and until they are written
// the same id cannot start its next transaction (CONCURRENT_TRANSACTIONS, retried); and the commit itself
// is a round trip. So the next transaction starts on the other lane as soon as the last one's records are
// written, while that one commits. Its records follow the last one's in every partition, and a
// read_committed reader cannot see them first (the earlier transaction holds the last stable offset until
// its markers land). Each caller still waits for its own transaction's commit.
//
// After any transactional error the lane's producer is thrown away (kafkajs leaves it stuck in
// COMMITTING/ABORTING) and a new one is made at once (reopen); its InitProducerId aborts whatever the old
// one left open, which would otherwise hold back the other lane's records.
import type { Kafka, Producer } from 'kafkajs';
import type { Logger } from '../telemetry/logger.ts';
import { telemetryMetrics } from '../telemetry/metrics.ts';
import { SpanKind, traceHeaders, withSpan } from '../telemetry/tracing.ts';
import { FAST_RETRY } from './client.ts';
import { isFencedError } from './errors.ts';
import { byTopic } from './records.ts';
import { requestTransactionalId } from './transactional-id.ts';
import type { OutputRecord } from './types.ts';

export interface RequestPublisherOptions {
  kafka: Kafka;
  app: string;
  /** stable identity of this instance (a container's hostname); two live instances must differ */
  instanceId: string;
  slots?: number;
  /** transactional ids a slot takes turns on (transactional mode): 2 overlap a commit with the next write */
  lanes?: number;
  /** close a slot's producer after this long without a publish */
  idleCloseMs?: number;
  /** most records in one transaction */
  maxBatch?: number;
  transactionTimeoutMs?: number;
  logger?: Logger;
  /** NEGATIVE CONTROL / benchmark baseline: a plain idempotent producer, no transaction */
  transactional?: boolean;
}

interface Pending {
  /** one record, or a group that must commit together (publishAll) */
  records: OutputRecord[];
  resolve: () => void;
  reject: (err: unknown) => void;
}

interface Lane {
  id: string;
  producer?: Producer;
  connecting?: Promise<Producer>;
  /** settles (never rejects) when the lane's last transaction has ended: committed or failed */
  ending?: Promise<void>;
  /** a transaction of this lane is under way: its producer must not be closed */
  busy?: boolean;
}

interface Slot {
  lanes: Lane[];
  /** the lane of the slot's next transaction */
  turn: number;
  queue: Pending[];
  flushing: boolean;
  idleTimer?: NodeJS.Timeout;
}

export interface PublisherStats {
  transactions: number;
  commits: number;
  failures: number;
  records: number;
}

export class RequestPublisher {
  private readonly slots: Slot[];
  private readonly o: Required<Omit<RequestPublisherOptions, 'logger'>> & { logger?: Logger };
  private closed = false;
  readonly stats: PublisherStats = { transactions: 0, commits: 0, failures: 0, records: 0 };

  constructor(options: RequestPublisherOptions) {
    this.o = {
      slots: 1,
      lanes: 2,
      idleCloseMs: 60_000,
      maxBatch: 500,
      transactionTimeoutMs: 10_000,
      transactional: true,
      ...options,
    };
    // a plain idempotent producer has no markers to wait for: one lane
    const lanes = this.o.transactional ? this.o.lanes : 1;
    const ids = this.o.slots * lanes;
    this.slots = Array.from({ length: this.o.slots }, (_, index) => ({
      lanes: Array.from({ length: lanes }, (_, lane) => ({
        id: requestTransactionalId(this.o.app, this.o.instanceId, index * lanes + lane, ids),
      })),
      turn: 0,
      queue: [],
      flushing: false,
    }));
  }

  /** Publishes one record; resolves once the transaction that holds it has committed. */
  publish(record: OutputRecord): Promise<void> {
    if (this.closed) return Promise.reject(new Error('publisher is closed'));
    const slot = this.slots[slotFor(record.key, this.slots.length)]!;
    // A producer span per record; its context travels in the record's headers to the consumer.
    return withSpan(
      `publish ${record.topic}`,
      {
        kind: SpanKind.PRODUCER,
        attributes: { 'messaging.system': 'kafka', 'messaging.destination.name': record.topic },
      },
      () =>
        new Promise<void>((resolve, reject) => {
          slot.queue.push({
            records: [{ ...record, headers: { ...record.headers, ...traceHeaders() } }],
            resolve,
            reject,
          });
          if (!slot.flushing) void this.flush(slot);
        }),
    );
  }

  /**
   * Publishes records that must be accepted together (a batch of jobs): all of them travel in one
   * transaction, so they commit or abort as one. Resolves once that transaction committed.
   */
  publishAll(records: OutputRecord[]): Promise<void> {
    if (this.closed) return Promise.reject(new Error('publisher is closed'));
    if (records.length === 0) return Promise.resolve();
    if (records.length > this.o.maxBatch) {
      return Promise.reject(new Error(`at most ${this.o.maxBatch} records can be published together`));
    }
    const slot = this.slots[slotFor(records[0]!.key, this.slots.length)]!;
    return withSpan(
      `publish ${records[0]!.topic}`,
      {
        kind: SpanKind.PRODUCER,
        attributes: {
          'messaging.system': 'kafka',
          'messaging.destination.name': records[0]!.topic,
          'messaging.batch.message_count': records.length,
        },
      },
      () =>
        new Promise<void>((resolve, reject) => {
          const headers = traceHeaders();
          slot.queue.push({
            records: records.map((r) => ({ ...r, headers: { ...r.headers, ...headers } })),
            resolve,
            reject,
          });
          if (!slot.flushing) void this.flush(slot);
        }),
    );
  }

  /** Takes queued entries up to maxBatch records, never splitting a group. */
  private take(slot: Slot): Pending[] {
    let count = 0;
    let n = 0;
    while (n < slot.queue.length && (n === 0 || count + slot.queue[n]!.records.length <= this.o.maxBatch)) {
      count += slot.queue[n]!.records.length;
      n += 1;
    }
    return slot.queue.splice(0, n);
  }

  private async flush(slot: Slot): Promise<void> {
    slot.flushing = true;
    clearTimeout(slot.idleTimer);
    try {
      while (slot.queue.length > 0) {
        const lane = slot.lanes[slot.turn]!;
        slot.turn = (slot.turn + 1) % slot.lanes.length;
        // a lane holds one transaction at a time: its previous one must have ended
        await lane.ending;
        const batch = this.take(slot);
        if (batch.length === 0) continue;
        lane.busy = true;
        let committed: Promise<void>;
        try {
          // once the records are written, the next transaction may start on the other lane
          committed = (await this.send(await this.producerFor(lane), batch)).committed;
        } catch (err) {
          committed = Promise.reject(err);
        }
        lane.ending = committed.then(
          () => {
            lane.busy = false;
            this.stats.records += batch.reduce((n, p) => n + p.records.length, 0);
            for (const p of batch) p.resolve();
          },
          (err: unknown) => {
            this.stats.failures += 1;
            this.o.logger?.warn({ transactionalId: lane.id, records: batch.length, err }, 'publish failed');
            this.discard(lane);
            for (const p of batch) p.reject(err);
            // busy until its new producer is ready: the idle close must not miss it
            return this.reopen(lane).finally(() => {
              lane.busy = false;
            });
          },
        );
      }
    } finally {
      slot.flushing = false;
      if (!this.closed) {
        const closeIdle = () => {
          if (slot.flushing) return;
          for (const lane of slot.lanes) if (!lane.busy) this.discard(lane);
          // a lane still committing is closed at the next look
          if (slot.lanes.some((l) => l.busy)) {
            slot.idleTimer = setTimeout(closeIdle, this.o.idleCloseMs);
            slot.idleTimer.unref();
          }
        };
        slot.idleTimer = setTimeout(closeIdle, this.o.idleCloseMs);
        slot.idleTimer.unref();
      }
    }
  }

  /**
   * Writes the batch: in a transaction, resolves once its records are written (acks from every
   * replica), with `committed` for the commit still in flight; without transactions, once they are written.
   */
  private async send(producer: Producer, batch: Pending[]): Promise<{ committed: Promise<void> }> {
    const topicMessages = byTopic(batch.flatMap((p) => p.records));
    if (!this.o.transactional) {
      await producer.sendBatch({ topicMessages, acks: -1 });
      return { committed: Promise.resolve() };
    }
    this.stats.transactions += 1;
    const m = telemetryMetrics();
    const started = performance.now();
    const failed = (err: unknown): never => {
      const outcome = isFencedError(err) ? 'fenced' : 'abort';
      m.transactions.add(1, { role: 'request', outcome });
      m.transactionDuration.record(performance.now() - started, { role: 'request', outcome });
      throw err;
    };
    try {
      const tx = await producer.transaction();
      await tx.sendBatch({ topicMessages, acks: -1 });
      const committed = tx.commit().then(() => {
        m.transactions.add(1, { role: 'request', outcome: 'commit' });
        m.transactionDuration.record(performance.now() - started, { role: 'request', outcome: 'commit' });
        this.stats.commits += 1;
      }, failed);
      return { committed };
    } catch (err) {
      return failed(err);
    }
  }

  private producerFor(lane: Lane): Promise<Producer> {
    if (lane.producer) return Promise.resolve(lane.producer);
    lane.connecting ??= (async () => {
      const producer = this.o.kafka.producer(
        this.o.transactional
          ? {
              transactionalId: lane.id,
              idempotent: true,
              maxInFlightRequests: 1,
              transactionTimeout: this.o.transactionTimeoutMs,
              retry: FAST_RETRY,
            }
          : { idempotent: true, maxInFlightRequests: 1, retry: FAST_RETRY },
      );
      try {
        await producer.connect();
      } finally {
        lane.connecting = undefined;
      }
      lane.producer = producer;
      return producer;
    })();
    return lane.connecting;
  }

  /**
   * Initialises a failed lane's id again at once. Its InitProducerId aborts whatever the failed
   * transaction left open, which would otherwise hold back (behind the last stable offset) every record
   * the other lane commits after it, until the lane's next turn or the coordinator's timeout. A failure
   * here is left to the lane's next turn.
   */
  private async reopen(lane: Lane): Promise<void> {
    if (this.closed || !this.o.transactional) return;
    try {
      const tx = await (await this.producerFor(lane)).transaction();
      await tx.abort(); // nothing was added to it: no request, the producer is ready again
    } catch {
      this.discard(lane);
    }
  }

  private discard(lane: Lane): void {
    const producer = lane.producer;
    lane.producer = undefined;
    producer?.disconnect().catch(() => {});
  }

  /** Waits for in-flight transactions, then closes every producer. */
  async close(): Promise<void> {
    this.closed = true;
    while (this.slots.some((s) => s.flushing || s.queue.length > 0))
      await new Promise((r) => setTimeout(r, 10));
    await Promise.all(this.slots.flatMap((s) => s.lanes.map((l) => l.ending)));
    for (const s of this.slots) clearTimeout(s.idleTimer);
    const lanes = this.slots.flatMap((s) => s.lanes);
    await Promise.all(lanes.map((l) => l.producer?.disconnect().catch(() => {})));
    for (const l of lanes) l.producer = undefined;
  }
}

/** FNV-1a over the key: the same key always lands on the same slot (and so in order). */
export function slotFor(key: OutputRecord['key'], slots: number): number {
  if (key === null || key === undefined) return Math.floor(Math.random() * slots);
  const bytes = typeof key === 'string' ? Buffer.from(key) : key;
  let h = 0x811c9dc5;
  for (const b of bytes) {
    h ^= b;
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h % slots;
}
