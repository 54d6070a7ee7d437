// The consume → transform → produce session: DESIGN.md §5.1, top to bottom.
//
// Per input partition p, with p's own transactional id (transactional-id.ts):
//   1. fence, then read:  a NEW producer's first transaction() sends InitProducerId, which fences p's
//      previous owner; only then is p's committed offset read (admin.fetchOffsets) and the consumer moved
//      to it. Reading first would let a zombie's commit land in between: duplicates (test e).
//   2. work outside the transaction: the handler runs before any Kafka transaction is open.
//   3. one transaction per partition batch: outputs + DLQ records + sendOffsets(p, next) + commit; only
//      then resolveOffset (eachBatchAutoResolve: false; kafkajs' own offset bookkeeping is not trusted).
//   4. any transactional error: the producer is thrown away (kafkajs leaves it stuck, #1275/#1282/#1355),
//      p goes back to step 1. Fenced (INVALID_PRODUCER_EPOCH / PRODUCER_FENCED): stop touching p.
//   5. every rebalance re-establishes every partition (step 1 again).
//   6. the budget (maxDurationMs, maxIdleMs, maxRecords, abort signal) ends the session cleanly: the
//      open transaction commits or is abandoned (never half-written), the member leaves the group.
import type { Admin, Consumer, EachBatchPayload, Kafka, KafkaMessage, Producer, Transaction } from 'kafkajs';
import type { Logger } from '../telemetry/logger.ts';
import { telemetryMetrics } from '../telemetry/metrics.ts';
import { linkFromHeaders, SpanKind, withSpan } from '../telemetry/tracing.ts';
import { FAST_RETRY } from './client.ts';
import { isFencedError, RecordError } from './errors.ts';
import { byTopic } from './records.ts';
import { partitionTransactionalId } from './transactional-id.ts';
import type {
  BatchHandler,
  DeliveryMode,
  DlqDecision,
  HandlerResult,
  InputRecord,
  OutputRecord,
  SessionHooks,
  SessionReport,
  StopReason,
} from './types.ts';

export interface SessionOptions {
  kafka: Kafka;
  /** application name: the first part of every transactional id */
  app: string;
  groupId: string;
  topic: string;
  dlqTopic: string;
  handler: BatchHandler;
  mode?: DeliveryMode;
  logger?: Logger;
  /** stop after this long in total */
  maxDurationMs?: number;
  /** stop once no record arrived for this long after joining: caught up */
  maxIdleMs?: number;
  /** stop after this many input records were committed (0 = no limit) */
  maxRecords?: number;
  sessionTimeoutMs?: number;
  heartbeatIntervalMs?: number;
  rebalanceTimeoutMs?: number;
  /** a handler error on one record is retried this many times in all, then the record goes to the DLQ */
  maxAttempts?: number;
  retryBackoffMs?: number;
  partitionsConsumedConcurrently?: number;
  /** most records handed to the handler (and committed) at once; a large fetch is split */
  maxBatchRecords?: number;
  maxBytesPerPartition?: number;
  transactionTimeoutMs?: number;
  signal?: AbortSignal;
  hooks?: SessionHooks;
}

interface PartitionState {
  /** rebalance generation this partition was established in; -1 = must (re)establish */
  generation: number;
  producer?: Producer;
  /** the transaction whose start fenced the previous owner; used by the first batch */
  openTx?: Transaction;
  /** next offset to process = the committed offset as far as this session knows */
  position: bigint;
  /** set after a seek: batches fetched from anywhere else are stale and ignored */
  awaitingFetchAt?: bigint;
  fenced: boolean;
}

const DLQ_HEADERS = {
  code: 'dlq-error-code',
  message: 'dlq-error-message',
  attempts: 'dlq-attempts',
  topic: 'dlq-source-topic',
  partition: 'dlq-source-partition',
  offset: 'dlq-source-offset',
} as const;

export { DLQ_HEADERS };

export class ConsumeTransformProduceSession {
  private readonly o: Required<Omit<SessionOptions, 'logger' | 'signal' | 'hooks' | 'mode'>> &
    Pick<SessionOptions, 'logger' | 'signal' | 'hooks'> & { mode: DeliveryMode };
  private readonly consumer: Consumer;
  private readonly admin: Admin;
  private plainProducer?: Producer;
  private readonly partitions = new Map<number, PartitionState>();
  private readonly attempts = new Map<string, number>();
  private generation = 0;
  private joined = false;
  private lastActivity = Date.now();
  private busy = 0;
  private stopping: StopReason | undefined;
  private readonly startedAt = Date.now();
  private readonly report: SessionReport;

  constructor(options: SessionOptions) {
    this.o = {
      mode: 'exactly-once',
      maxDurationMs: 60_000,
      maxIdleMs: 3_000,
      maxRecords: 0,
      sessionTimeoutMs: 10_000,
      heartbeatIntervalMs: 1_000,
      rebalanceTimeoutMs: 30_000,
      maxAttempts: 3,
      retryBackoffMs: 200,
      partitionsConsumedConcurrently: 16,
      maxBatchRecords: 1000,
      maxBytesPerPartition: 1024 * 1024,
      transactionTimeoutMs: 30_000,
      ...options,
    };
    this.report = {
      records: 0,
      outputs: 0,
      transactions: 0,
      commits: 0,
      aborts: 0,
      fenced: 0,
      dlq: 0,
      handlerErrors: 0,
      rebalances: 0,
      durationMs: 0,
      firstCommitMs: null,
      stopReason: 'stopped',
      mode: this.o.mode,
    };
    this.consumer = this.o.kafka.consumer({
      groupId: this.o.groupId,
      sessionTimeout: this.o.sessionTimeoutMs,
      heartbeatInterval: this.o.heartbeatIntervalMs,
      rebalanceTimeout: this.o.rebalanceTimeoutMs,
      maxBytesPerPartition: this.o.maxBytesPerPartition,
      maxWaitTimeInMs: 250,
      readUncommitted: false,
    });
    this.admin = this.o.kafka.admin();
  }

  /** Runs until the budget ends it; resolves with the report (and logs it as one line). */
  async run(): Promise<SessionReport> {
    const log = this.o.logger;
    if (this.o.mode !== 'exactly-once') {
      log?.warn(
        { mode: this.o.mode },
        `UNSAFE DELIVERY MODE "${this.o.mode}": exactly-once is OFF — for the verifier's negative controls only`,
      );
    }
    const onAbort = () => this.requestStop('signal');
    this.o.signal?.addEventListener('abort', onAbort, { once: true });
    let failure: unknown;
    try {
      await this.admin.connect();
      this.consumer.on(this.consumer.events.GROUP_JOIN, (e) => this.onGroupJoin(e.payload.memberAssignment));
      await this.consumer.connect();
      await this.consumer.subscribe({ topic: this.o.topic, fromBeginning: true });
      if (this.o.mode === 'at-least-once') {
        this.plainProducer = this.o.kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
        await this.plainProducer.connect();
      }
      const crashed = new Promise<void>((resolve) => {
        this.consumer.on(this.consumer.events.CRASH, (e) => {
          failure = e.payload.error;
          if (!e.payload.restart) resolve();
        });
      });
      await this.consumer.run({
        autoCommit: false,
        eachBatchAutoResolve: false,
        partitionsConsumedConcurrently: this.o.partitionsConsumedConcurrently,
        eachBatch: (payload) => this.eachBatch(payload),
      });
      if (this.o.signal?.aborted) this.requestStop('signal');
      await Promise.race([this.budget(), crashed]);
      if (!this.stopping) this.stopping = failure ? 'error' : 'stopped';
    } catch (err) {
      failure = err;
      this.stopping = 'error';
    } finally {
      this.o.signal?.removeEventListener('abort', onAbort);
      await this.shutdown();
    }
    this.report.stopReason = this.stopping ?? 'stopped';
    this.report.durationMs = Date.now() - this.startedAt;
    log?.info({ report: this.report }, 'session finished');
    if (failure && this.report.stopReason === 'error') throw failure;
    return { ...this.report };
  }

  /** Ask the session to end: it finishes the transaction in hand, then leaves the group. */
  requestStop(reason: StopReason = 'stopped'): void {
    this.stopping ??= reason;
  }

  private async budget(): Promise<void> {
    for (;;) {
      if (this.stopping) return;
      const now = Date.now();
      if (now - this.startedAt >= this.o.maxDurationMs) this.requestStop('max-duration');
      else if (this.o.maxRecords > 0 && this.report.records >= this.o.maxRecords)
        this.requestStop('max-records');
      else if (this.joined && this.busy === 0 && now - this.lastActivity >= this.o.maxIdleMs)
        this.requestStop('caught-up');
      await sleep(50);
    }
  }

  private onGroupJoin(assignment: Record<string, number[]>): void {
    // Eager rebalance: whatever we held before may have had another owner in between. Every partition
    // goes through fence-then-read again (step 5).
    this.generation += 1;
    this.report.rebalances += 1;
    this.joined = true;
    this.lastActivity = Date.now();
    const mine = new Set(assignment[this.o.topic] ?? []);
    for (const [p, state] of this.partitions) {
      state.generation = -1;
      if (state.fenced) {
        state.fenced = false;
        if (mine.has(p)) this.consumer.resume([{ topic: this.o.topic, partitions: [p] }]);
      }
      if (!mine.has(p)) this.dropProducer(state);
    }
    this.o.logger?.info({ generation: this.generation, partitions: [...mine] }, 'joined group');
  }

  private async eachBatch(payload: EachBatchPayload): Promise<void> {
    const { batch } = payload;
    const p = batch.partition;
    if (this.stopping) return;
    this.busy += 1;
    try {
      if (batch.messages.length > 0) this.lastActivity = Date.now();
      let state = this.partitions.get(p);
      if (!state) {
        state = { generation: -1, position: 0n, fenced: false };
        this.partitions.set(p, state);
      }
      if (state.fenced) return; // another instance owns p now: do not touch it (G6)
      // kafkajs exposes the offset this fetch started at; it is not in its typings.
      const fetchedAt = BigInt((batch as unknown as { fetchedOffset: string }).fetchedOffset);
      if (state.awaitingFetchAt !== undefined) {
        if (fetchedAt !== state.awaitingFetchAt) return; // fetched before our seek took effect: stale
        state.awaitingFetchAt = undefined;
      }
      if (state.generation !== this.generation) {
        if (!(await this.establish(p, state))) return;
        if (fetchedAt > state.position) {
          // The consumer is ahead of the committed offset (kafkajs' own offset state is not trusted):
          // go back to it and drop what was fetched from further on.
          this.seek(state, p, state.position);
          return;
        }
      } else if (fetchedAt > state.position) {
        // Only aborted data and transaction markers lie between: kafkajs skips batches made only of them.
        state.position = fetchedAt;
      }
      const records = batch.messages
        .filter((m) => BigInt(m.offset) >= state.position)
        .map((m) => toInput(batch.topic, p, m));
      if (records.length === 0) {
        if (batch.messages.length > 0) payload.resolveOffset(batch.lastOffset());
        return;
      }
      await this.processRecords(payload, state, records);
    } finally {
      this.busy -= 1;
      if (batch.messages.length > 0) this.lastActivity = Date.now();
    }
  }

  /** Step 1: fence p's previous owner, then read p's committed offset, then point the consumer at it. */
  private async establish(p: number, state: PartitionState): Promise<boolean> {
    this.dropProducer(state);
    let committed: bigint;
    try {
      if (this.o.mode === 'read-then-fence') {
        // NEGATIVE CONTROL ONLY: the naive order — take the offset at assignment, initialise the
        // transactional producer lazily at the first commit, after the work. A zombie's commit that
        // lands in between is not fenced, and its records are processed again.
        committed = await this.readCommitted(p);
      } else if (this.o.mode === 'at-least-once') {
        committed = await this.readCommitted(p);
      } else {
        await this.fence(p, state);
        committed = await this.readCommitted(p);
      }
    } catch (err) {
      if (isFencedError(err)) return this.markFenced(p, state, err);
      // Coordinator moving, broker bouncing…: not resolving makes kafkajs fetch the same records again,
      // and the next batch tries step 1 afresh.
      this.o.logger?.warn({ partition: p, err: String(err) }, 'could not establish the partition; retrying');
      this.dropProducer(state);
      await sleep(500);
      return false;
    }
    state.position = committed;
    state.generation = this.generation;
    this.o.logger?.debug({ partition: p, committed: committed.toString() }, 'partition established');
    return true;
  }

  private seek(state: PartitionState, p: number, offset: bigint): void {
    state.awaitingFetchAt = offset;
    this.consumer.seek({ topic: this.o.topic, partition: p, offset: offset.toString() });
  }

  private async fence(p: number, state: PartitionState): Promise<void> {
    const producer = this.o.kafka.producer({
      transactionalId: partitionTransactionalId(this.o.app, this.o.groupId, this.o.topic, p),
      idempotent: true,
      maxInFlightRequests: 1,
      transactionTimeout: this.o.transactionTimeoutMs,
      retry: FAST_RETRY,
    });
    state.producer = producer;
    await producer.connect();
    // kafkajs sends InitProducerId on a producer's first transaction(), not on connect(): this is the fence.
    state.openTx = await producer.transaction();
  }

  private async readCommitted(p: number): Promise<bigint> {
    const [topicOffsets] = await this.admin.fetchOffsets({ groupId: this.o.groupId, topics: [this.o.topic] });
    const found = topicOffsets?.partitions.find((x) => x.partition === p);
    let offset = found ? BigInt(found.offset) : -1n;
    if (offset < 0n) {
      const marks = await this.admin.fetchTopicOffsets(this.o.topic);
      offset = BigInt(marks.find((m) => m.partition === p)?.low ?? '0');
    }
    await this.o.hooks?.afterOffsetRead?.({ partition: p, offset: offset.toString() });
    return offset;
  }

  /** One span per partition batch, linked to the spans that produced its records. */
  private processRecords(
    payload: EachBatchPayload,
    state: PartitionState,
    records: InputRecord[],
  ): Promise<void> {
    // Span links are bounded: read the headers of the first 128 records only (hot path).
    const links = records
      .slice(0, 128)
      .map((r) => linkFromHeaders(r.headers))
      .filter((l) => l !== undefined);
    return withSpan(
      `process ${this.o.topic}`,
      {
        kind: SpanKind.CONSUMER,
        links,
        attributes: {
          'messaging.system': 'kafka',
          'messaging.destination.name': this.o.topic,
          'messaging.destination.partition.id': String(records[0]!.partition),
          'messaging.batch.message_count': records.length,
        },
      },
      () => this.processRecordsTraced(payload, state, records),
    );
  }

  private async processRecordsTraced(
    payload: EachBatchPayload,
    state: PartitionState,
    records: InputRecord[],
  ): Promise<void> {
    const p = records[0]!.partition;
    this.o.logger?.debug(
      { partition: p, records: records.length, from: records[0]!.offset },
      'handling batch',
    );
    // Chunks are handled one after another; after a handler error the chunk is split into single records
    // so that exactly the failing record is retried and, after maxAttempts, sent to the DLQ.
    const queue: InputRecord[][] = [];
    for (let i = 0; i < records.length; i += this.o.maxBatchRecords)
      queue.push(records.slice(i, i + this.o.maxBatchRecords));
    const last = BigInt(payload.batch.lastOffset());
    while (queue.length > 0) {
      if (this.stopping || state.fenced || state.generation !== this.generation) return;
      const chunk = queue.shift()!;
      const key = `${p}:${chunk[0]!.offset}`;
      const attempt = chunk.length === 1 ? (this.attempts.get(key) ?? 0) + 1 : 1;
      let result: HandlerResult;
      try {
        result = await this.runHandler(payload, {
          topic: this.o.topic,
          partition: p,
          records: chunk,
          attempt,
        });
      } catch (err) {
        this.report.handlerErrors += 1;
        if (chunk.length > 1) {
          queue.unshift(...chunk.map((r) => [r]));
          continue;
        }
        this.attempts.set(key, attempt);
        const retriable = !(err instanceof RecordError && !err.retriable) && !isNonRetriable(err);
        this.o.logger?.warn({ partition: p, offset: chunk[0]!.offset, attempt, err }, 'handler failed');
        if (retriable && attempt < this.o.maxAttempts) {
          await this.sleepWithHeartbeat(payload, this.o.retryBackoffMs * attempt);
          queue.unshift(chunk);
          continue;
        }
        result = {
          outputs: [],
          dlq: [
            {
              offset: chunk[0]!.offset,
              code: (err as { code?: string }).code ?? 'HANDLER_FAILED',
              message: err instanceof Error ? err.message : String(err),
              attempts: attempt,
            },
          ],
        };
      }
      const chunkLast = BigInt(chunk[chunk.length - 1]!.offset);
      // If this chunk ends the fetched batch, commit past the trailing transaction markers too.
      const next = queue.length === 0 ? (last > chunkLast ? last : chunkLast) + 1n : chunkLast + 1n;
      const ok = await this.commitChunk(payload, state, chunk, result, next);
      if (!ok) return;
      this.attempts.delete(key);
    }
  }

  private async runHandler(
    payload: EachBatchPayload,
    batch: Parameters<BatchHandler>[0],
  ): Promise<HandlerResult> {
    // Keep the membership alive while a slow handler (LLM calls take seconds) runs.
    const beat = setInterval(() => {
      payload.heartbeat().catch(() => {
        /* a rebalance: kafkajs rejoins after this batch; the new generation re-fences */
      });
    }, this.o.heartbeatIntervalMs);
    try {
      return await this.o.handler(batch);
    } finally {
      clearInterval(beat);
    }
  }

  private async sleepWithHeartbeat(payload: EachBatchPayload, ms: number): Promise<void> {
    const until = Date.now() + ms;
    while (Date.now() < until && !this.stopping) {
      await sleep(Math.min(this.o.heartbeatIntervalMs, until - Date.now()));
      await payload.heartbeat().catch(() => {});
    }
  }

  /** Steps 3–4: one transaction with the outputs, DLQ records and the offset; resolve only after commit. */
  private async commitChunk(
    payload: EachBatchPayload,
    state: PartitionState,
    chunk: InputRecord[],
    result: HandlerResult,
    next: bigint,
  ): Promise<boolean> {
    const p = chunk[0]!.partition;
    const messages = [...result.outputs, ...this.dlqRecords(chunk, result.dlq ?? [])];
    const offsets = { topic: this.o.topic, partitions: [{ partition: p, offset: next.toString() }] };
    const lastOffset = chunk[chunk.length - 1]!.offset;
    if (this.o.mode === 'at-least-once') {
      // NEGATIVE CONTROL ONLY: produce, then commit the offset outside any transaction.
      if (messages.length) await this.plainProducer!.sendBatch({ topicMessages: byTopic(messages) });
      await this.o.hooks?.beforeCommit?.({
        partition: p,
        nextOffset: next.toString(),
        outputs: messages.length,
      });
      await this.consumer.commitOffsets([{ ...offsets.partitions[0]!, topic: this.o.topic }]);
      this.report.commits += 1;
      this.report.firstCommitMs ??= Date.now() - this.startedAt;
      this.afterCommitted(state, chunk, result, next);
      payload.resolveOffset(lastOffset);
      await this.o.hooks?.afterCommit?.({ partition: p, nextOffset: next.toString() });
      return true;
    }
    this.report.transactions += 1;
    const txStarted = performance.now();
    const m = telemetryMetrics();
    try {
      if (!state.producer) await this.fence(p, state); // read-then-fence: the late fence
      const tx = state.openTx ?? (await state.producer!.transaction());
      state.openTx = undefined;
      if (messages.length) await tx.sendBatch({ topicMessages: byTopic(messages) });
      await tx.sendOffsets({ consumerGroupId: this.o.groupId, topics: [offsets] });
      await this.o.hooks?.beforeCommit?.({
        partition: p,
        nextOffset: next.toString(),
        outputs: messages.length,
      });
      await tx.commit();
    } catch (err) {
      // The producer is unusable after any transactional error: never reuse it. Whatever it left open is
      // aborted by the next InitProducerId for p's id (ours after re-establishing, or the new owner's).
      this.report.aborts += 1;
      const fenced = isFencedError(err);
      m.transactions.add(1, { role: 'consume', outcome: fenced ? 'fenced' : 'abort' });
      m.transactionDuration.record(performance.now() - txStarted, {
        role: 'consume',
        outcome: fenced ? 'fenced' : 'abort',
      });
      await this.o.hooks?.afterTransactionError?.({ partition: p, fenced, error: err });
      if (fenced) return this.markFenced(p, state, err);
      this.o.logger?.warn({ partition: p, err }, 'transaction failed; re-establishing the partition');
      this.dropProducer(state);
      state.generation = -1;
      // Re-read from the last committed position at once, even if no new record ever arrives.
      this.seek(state, p, state.position);
      return false;
    }
    this.report.commits += 1;
    m.transactions.add(1, { role: 'consume', outcome: 'commit' });
    m.transactionDuration.record(performance.now() - txStarted, { role: 'consume', outcome: 'commit' });
    this.report.firstCommitMs ??= Date.now() - this.startedAt;
    this.afterCommitted(state, chunk, result, next);
    payload.resolveOffset(lastOffset);
    await this.o.hooks?.afterCommit?.({ partition: p, nextOffset: next.toString() });
    return true;
  }

  private afterCommitted(
    state: PartitionState,
    chunk: InputRecord[],
    result: HandlerResult,
    next: bigint,
  ): void {
    state.position = next;
    this.report.records += chunk.length;
    this.report.outputs += result.outputs.length;
    this.report.dlq += result.dlq?.length ?? 0;
    const m = telemetryMetrics();
    m.records.add(chunk.length - (result.dlq?.length ?? 0), { topic: this.o.topic, outcome: 'committed' });
    if (result.dlq?.length) {
      m.records.add(result.dlq.length, { topic: this.o.topic, outcome: 'dlq' });
      m.dlq.add(result.dlq.length, { topic: this.o.topic });
    }
    this.lastActivity = Date.now();
  }

  private dlqRecords(chunk: InputRecord[], decisions: DlqDecision[]): OutputRecord[] {
    return decisions.map((d) => {
      const original = chunk.find((r) => r.offset === d.offset);
      if (!original) throw new Error(`DLQ decision for offset ${d.offset}, which is not in the batch`);
      const headers: Record<string, string | Buffer> = {};
      for (const [k, v] of Object.entries(original.headers)) {
        if (v !== undefined) headers[k] = Array.isArray(v) ? String(v[0]) : v;
      }
      Object.assign(headers, {
        [DLQ_HEADERS.code]: d.code,
        [DLQ_HEADERS.message]: d.message.slice(0, 2000),
        [DLQ_HEADERS.attempts]: String(d.attempts ?? 1),
        [DLQ_HEADERS.topic]: original.topic,
        [DLQ_HEADERS.partition]: String(original.partition),
        [DLQ_HEADERS.offset]: original.offset,
      });
      return { topic: this.o.dlqTopic, key: original.key, value: original.value, headers };
    });
  }

  private markFenced(p: number, state: PartitionState, err: unknown): false {
    this.report.fenced += 1;
    state.fenced = true;
    this.dropProducer(state);
    this.o.logger?.warn(
      { partition: p, err: String(err) },
      'fenced: another instance owns this partition now',
    );
    this.consumer.pause([{ topic: this.o.topic, partitions: [p] }]);
    return false;
  }

  private dropProducer(state: PartitionState): void {
    const producer = state.producer;
    state.producer = undefined;
    state.openTx = undefined;
    producer?.disconnect().catch(() => {});
  }

  private async shutdown(): Promise<void> {
    // disconnect() stops fetching, waits for the batch in hand (whose transaction commits or fails as a
    // whole) and leaves the group, so the partitions move at once instead of after the session timeout.
    await this.consumer
      .disconnect()
      .catch((err) => this.o.logger?.warn({ err }, 'consumer disconnect failed'));
    const producers = [...this.partitions.values()].map((s) => s.producer).filter((x) => x !== undefined);
    for (const s of this.partitions.values()) {
      s.producer = undefined;
      s.openTx = undefined;
    }
    await Promise.all([
      ...producers.map((pr) => pr.disconnect().catch(() => {})),
      this.plainProducer?.disconnect().catch(() => {}),
      this.admin.disconnect().catch(() => {}),
    ]);
  }
}

function toInput(topic: string, partition: number, m: KafkaMessage): InputRecord {
  return {
    topic,
    partition,
    offset: m.offset,
    key: m.key,
    value: m.value,
    headers: m.headers ?? {},
    timestamp: m.timestamp,
  };
}

function isNonRetriable(err: unknown): boolean {
  return err instanceof Error && err.name === 'NonRetriableError';
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function runSession(options: SessionOptions): Promise<SessionReport> {
  return new ConsumeTransformProduceSession(options).run();
}
