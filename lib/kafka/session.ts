// The consume → transform → produce session. Per input partition p, with its own transactional id:
//   1. fence, then read:  a NEW producer's first transaction() sends InitProducerId, which fences p's
//      previous owner; only then is p's committed offset read (admin.fetchOffsets; checked against the
//      application's record of it, progress.ts) and the consumer moved to it. Reading first would let a
//      zombie's commit land in between: duplicates.
//   2. work outside the transaction: the handler runs before any Kafka transaction is open.
//   3. one transaction per partition batch: outputs + DLQ records + sendOffsets(p, next) + commit; only
//      then resolveOffset (eachBatchAutoResolve: false; kafkajs' own offset bookkeeping is not trusted).
//   4. any transactional error: the producer is thrown away (kafkajs leaves it stuck, #1275/#1282/#1355),
//      p goes back to step 1 (smaller if too large). Fenced by a new owner (ownership.ts): stop touching p.
//   5. every rebalance re-establishes every partition (step 1 again); one a heartbeat announces stops
//      the work in hand, uncommitted, and rejoins at once (heartbeat.ts).
//   6. the budget (duration, idle, records, signal) ends the session: the open transaction commits or
//      is abandoned (never half-written; a signal's after stopGraceMs), the member leaves the group.
// Steps 1 and 3 go through a Delivery (delivery.ts): exactly-once, or a verifier negative control.
import { setTimeout as sleep } from 'node:timers/promises';
import type { Admin, Consumer, EachBatchPayload } from 'kafkajs';
import type { Logger } from '../telemetry/logger.ts';
import { withBatchSpan } from './batch-span.ts';
import type { Delivery } from './delivery.ts';
import { dlqRecords } from './dlq.ts';
import { isDependencyUnavailable, isFencedError } from './errors.ts';
import { ENGINE_EVENTS } from './events.ts';
import { Heartbeats } from './heartbeat.ts';
import { DependencyOutage } from './outage.ts';
import { GroupOwnership } from './ownership.ts';
import { PartitionState } from './partition.ts';
import { PartitionRefusedError, refusePartition, startingOffset } from './progress.ts';
import { toInput } from './records.ts';
import { HandlerRetries } from './retries.ts';
import {
  type ResolvedSessionOptions,
  resolveSessionOptions,
  type SessionOptions,
  sessionConsumer,
} from './session-options.ts';
import { SessionCounters } from './session-report.ts';
import { leaveWithin } from './shutdown.ts';
import { TransactionSizer } from './transaction-size.ts';
import type { HandlerResult, InputRecord, SessionReport, StopReason } from './types.ts';
import { deliveryFor } from './unsafe-delivery.ts';

export type { SessionOptions } from './session-options.ts';

export class ConsumeTransformProduceSession {
  private readonly options: ResolvedSessionOptions;
  private readonly log: Logger | undefined;
  private readonly consumer: Consumer;
  private readonly admin: Admin;
  private readonly delivery: Delivery;
  private readonly partitions = new Map<number, PartitionState>();
  private readonly retries: HandlerRetries;
  private readonly counters: SessionCounters;
  private readonly outage: DependencyOutage;
  private readonly sizer: TransactionSizer;
  private readonly ownership: GroupOwnership;
  /** handler calls running now, aborted by a rebalance or at the end of a stop's grace */
  private readonly inFlight = new Set<AbortController>();
  /** once one reports a rebalance, nothing more is committed and the member rejoins (heartbeat.ts) */
  private readonly heartbeats: Heartbeats;
  private generation = 0;
  private joined = false;
  private lastActivity = Date.now();
  private busy = 0;
  private stopping: StopReason | undefined;

  constructor(options: SessionOptions) {
    const o = resolveSessionOptions(options);
    this.sizer = new TransactionSizer({ ...o, admin: () => this.admin });
    this.options = { ...o, handler: this.sizer.guard(o.handler) };
    this.log = o.logger;
    this.counters = new SessionCounters(o.mode, o.topic);
    this.retries = new HandlerRetries(o.maxAttempts, o.retryBackoffMs);
    this.outage = new DependencyOutage(o.dependencyOutageBudgetMs);
    this.consumer = sessionConsumer(o);
    // the negative controls commit what they finished (heartbeat.ts)
    const stopWork = o.mode === 'exactly-once' ? () => this.abortInFlight() : undefined;
    this.heartbeats = new Heartbeats(o.heartbeatIntervalMs, stopWork);
    this.admin = o.kafka.admin();
    this.ownership = new GroupOwnership({ ...o, consumer: this.consumer, admin: this.admin, log: this.log });
    this.delivery = deliveryFor(o.mode, o.kafka, this.consumer, this.log);
  }

  /** Runs until the budget ends it; resolves with the report (and logs it as one line). */
  async run(): Promise<SessionReport> {
    const { signal, stopGraceMs } = this.options;
    const onAbort = () => this.requestStop('signal', stopGraceMs);
    signal?.addEventListener('abort', onAbort, { once: true });
    let failure: unknown;
    try {
      await this.admin.connect();
      this.consumer.on(this.consumer.events.GROUP_JOIN, (e) => this.onGroupJoin(e.payload.memberAssignment));
      // a fetch of aborted records and markers only, which kafkajs skips without calling eachBatch
      this.consumer.on(this.consumer.events.START_BATCH_PROCESS, ({ payload: b }) => {
        if (b.topic === this.options.topic && b.batchSize === 0 && b.firstOffset != null)
          this.partitions.get(b.partition)?.skippedByConsumer(BigInt(b.firstOffset), BigInt(b.lastOffset));
      });
      await this.consumer.connect();
      await this.consumer.subscribe({ topic: this.options.topic, fromBeginning: true });
      const crashed = new Promise<void>((resolve) => {
        this.consumer.on(this.consumer.events.CRASH, (e) => {
          failure = e.payload.error;
          if (!e.payload.restart) resolve();
        });
      });
      await this.consumer.run({
        autoCommit: false,
        eachBatchAutoResolve: false,
        partitionsConsumedConcurrently: this.options.partitionsConsumedConcurrently,
        eachBatch: (payload) => this.eachBatch(payload),
      });
      if (signal?.aborted) this.requestStop('signal');
      await Promise.race([this.budget(), crashed]);
      if (!this.stopping) this.stopping = failure ? 'error' : 'stopped';
    } catch (err) {
      failure = err;
      this.stopping = 'error';
    } finally {
      signal?.removeEventListener('abort', onAbort);
      await this.shutdown();
    }
    const report = this.counters.report;
    report.stopReason = this.stopping ?? 'stopped';
    report.durationMs = this.counters.elapsedMs();
    const level = report.records ? 'info' : 'debug'; // idle invocations, like joins, are routine
    this.log?.[level]({ event: ENGINE_EVENTS.finished, report }, 'session finished');
    if (failure && report.stopReason === 'error') throw failure;
    return { ...report };
  }

  /** Ends the session: the transaction in hand finishes (or after `graceMs` is abandoned), then it leaves. */
  requestStop(reason: StopReason = 'stopped', graceMs?: number): void {
    this.stopping ??= reason;
    if (graceMs !== undefined) setTimeout(() => this.abortInFlight(), graceMs).unref();
  }

  private async budget(): Promise<void> {
    const { maxDurationMs, maxRecords, maxIdleMs } = this.options;
    for (;;) {
      if (this.stopping) return;
      const idle = Date.now() - this.lastActivity; // not while rejoining: the join may wait for others
      if (this.counters.elapsedMs() >= maxDurationMs) this.requestStop('max-duration');
      else if (maxRecords > 0 && this.counters.report.records >= maxRecords) this.requestStop('max-records');
      else if (this.joined && this.busy === 0 && !this.heartbeats.rebalancing && idle >= maxIdleMs)
        this.requestStop('caught-up');
      await sleep(50);
    }
  }

  private onGroupJoin(assignment: Record<string, number[]>): void {
    // Eager rebalance: whatever we held before may have had another owner in between. Every partition
    // goes through fence-then-read again (step 5).
    this.generation += 1;
    this.heartbeats.joined();
    this.counters.report.rebalances += 1;
    this.joined = true;
    this.lastActivity = Date.now();
    this.abortInFlight(); // nothing a handler is doing now will be committed (commitChunk checks)
    const mine = new Set(assignment[this.options.topic] ?? []);
    for (const [p, state] of this.partitions) {
      if (state.rejoined(mine.has(p))) this.consumer.resume([{ topic: this.options.topic, partitions: [p] }]);
    }
    const joined = { event: ENGINE_EVENTS.joined, generation: this.generation, partitions: [...mine] };
    this.log?.debug(joined, 'joined group');
  }

  private partition(p: number): PartitionState {
    let state = this.partitions.get(p);
    if (!state) {
      // its committed offset, checked against the application's record (progress.ts)
      state = PartitionState.create(this.options, p, () => startingOffset(this.admin, this.options, p));
      this.partitions.set(p, state);
    }
    return state;
  }

  private async eachBatch(payload: EachBatchPayload): Promise<void> {
    const { batch } = payload;
    if (this.stopping) return;
    this.heartbeats.throwIfRebalancing();
    this.busy += 1;
    try {
      if (batch.messages.length > 0) this.lastActivity = Date.now();
      const state = this.partition(batch.partition);
      if (state.fenced || state.refused) return; // another instance owns p (G6), or p is refused
      // kafkajs exposes the offset this fetch started at; it is not in its typings.
      const fetchedAt = BigInt((batch as unknown as { fetchedOffset: string }).fetchedOffset);
      if (!state.seekTookEffect(fetchedAt)) return; // fetched before our seek took effect: stale
      if (state.generation !== this.generation) {
        if (!(await this.establish(state))) return;
        if (fetchedAt > state.position) {
          // The consumer is ahead of the committed offset (kafkajs' own offset state is not trusted):
          // go back to it and drop what was fetched from further on.
          this.seek(state, state.position);
          return;
        }
      } else if (fetchedAt > state.position) {
        // Only aborted data and transaction markers lie between: kafkajs skips batches made only of them.
        state.position = fetchedAt;
      }
      const records = batch.messages
        .filter((m) => BigInt(m.offset) >= state.position)
        .map((m) => toInput(batch.topic, batch.partition, m));
      if (records.length === 0) {
        if (batch.messages.length > 0) payload.resolveOffset(batch.lastOffset());
        return;
      }
      await withBatchSpan(this.options.topic, records, () => this.processChunks(payload, state, records));
      this.heartbeats.throwIfRebalancing();
    } finally {
      this.busy -= 1;
      if (batch.messages.length > 0) this.lastActivity = Date.now();
    }
  }

  /** Step 1, through the delivery: fence p's previous owner, read p's committed offset. */
  private async establish(state: PartitionState): Promise<boolean> {
    const p = state.partition;
    const generation = this.generation;
    await state.drop();
    let committed: bigint;
    try {
      committed = await this.delivery.establish(state);
    } catch (err) {
      if (isFencedError(err)) return this.markFenced(state, err);
      if (err instanceof PartitionRefusedError)
        return refusePartition(state, err, this.consumer, this.counters.report, this.log);
      // Coordinator moving, broker bouncing, the progress witness's database away (counted against the
      // outage budget)…: not resolving makes kafkajs fetch the same records again; the next batch retries.
      if (this.outage.spentBy(err, this.counters.report)) this.requestStop('dependency-unavailable');
      this.log?.warn(
        { event: ENGINE_EVENTS.establishFailed, partition: p, err },
        'could not establish the partition; retrying',
      );
      await state.drop();
      await sleep(500);
      return false;
    }
    // A join landed between fence and read: the partition may be someone else's now. Start over.
    if (generation !== this.generation) return false;
    state.position = committed;
    state.generation = generation;
    this.log?.debug(
      { event: ENGINE_EVENTS.established, partition: p, committed: committed.toString() },
      'partition established',
    );
    return true;
  }

  private seek(state: PartitionState, offset: bigint): void {
    state.awaitingFetchAt = offset;
    this.consumer.seek({ topic: this.options.topic, partition: state.partition, offset: offset.toString() });
  }

  /** Steps 2–3 for a fetched batch: chunks handled and committed one after another. */
  private async processChunks(payload: EachBatchPayload, state: PartitionState, records: InputRecord[]) {
    const { maxBatchRecords, topic, handler } = this.options;
    const [p, from, n] = [state.partition, records[0]!.offset, records.length];
    this.log?.debug({ event: ENGINE_EVENTS.batchStarted, partition: p, from, records: n }, 'handling batch');
    const queue = this.sizer.chunks(state.partition, records, maxBatchRecords);
    const last = BigInt(payload.batch.lastOffset());
    while (queue.length > 0) {
      if (this.stopping || state.fenced || !this.current(state)) return;
      const chunk = queue.shift()!;
      const attempt = this.retries.attemptOf(chunk);
      let result: HandlerResult;
      const abort = new AbortController();
      try {
        const batch = { topic, partition: state.partition, records: chunk, attempt, signal: abort.signal };
        this.inFlight.add(abort);
        result = await this.heartbeats
          .during(payload, () => handler(batch))
          .finally(() => this.inFlight.delete(abort));
        if (abort.signal.aborted) return; // abandoned (rebalance, stop grace): maybe partial
        this.outage.recovered();
      } catch (err) {
        if (abort.signal.aborted) return; // abandoned: whatever it threw, neither retried nor dead-lettered
        if (isDependencyUnavailable(err)) {
          // Not the records' fault: nothing is committed, the offset stays, the same chunk is tried again.
          this.counters.report.dependencyWaits += 1;
          const wait = {
            payload,
            partition: state.partition,
            heartbeats: this.heartbeats,
            stop: () => !!this.stopping,
            log: this.log,
          };
          if (!(await this.outage.waitOut(err, wait))) {
            this.requestStop('dependency-unavailable');
            return;
          }
          queue.unshift(chunk);
          continue;
        }
        this.counters.report.handlerErrors += 1;
        const next = this.retries.afterError(chunk, attempt, err, this.log);
        if (next.action === 'split') queue.unshift(...next.chunks);
        if (next.action === 'retry') {
          await this.heartbeats.sleep(payload, next.backoffMs, () => !!this.stopping);
          queue.unshift(chunk);
        }
        if (next.action !== 'dead-letter') continue;
        result = next.result;
      }
      const chunkLast = BigInt(chunk[chunk.length - 1]!.offset);
      // If this chunk ends the fetched batch, commit past the trailing transaction markers too.
      const next = queue.length === 0 ? (last > chunkLast ? last : chunkLast) + 1n : chunkLast + 1n;
      if (!(await this.commitChunk(payload, state, chunk, result, next))) return;
      this.retries.committed(chunk);
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
    const { groupId, topic, dlqTopic, hooks } = this.options;
    const partition = state.partition;
    const messages = [...result.outputs, ...dlqRecords(dlqTopic, chunk, result.dlq ?? [])];
    const nextOffset = next.toString();
    const beforeCommit = async () =>
      hooks?.beforeCommit?.({ partition, nextOffset, outputs: messages.length });
    if (!this.current(state)) {
      // A rebalance landed (or was announced) while the handler ran: the partition may have a new owner,
      // which must be neither fenced nor duplicated. Nothing is committed; if it is still ours, it is
      // established again and the records come back (their stored effects make them replays).
      this.log?.info({ event: ENGINE_EVENTS.partitionLost, partition }, 'rebalanced in the batch: no commit');
      return false;
    }
    const done = this.counters.transaction();
    const write = { messages, groupId, topic, partition, next, beforeCommit, maxBytes: this.sizer.maxBytes };
    const began = Date.now();
    try {
      await this.delivery.commit(state, write);
    } catch (err) {
      // The producer is unusable after any transactional error: never reuse it. Whatever it left open is
      // aborted by the next InitProducerId for p's id (ours after re-establishing, or the new owner's).
      const fenced = await this.ownership.fenced(err, partition, began, this.options.transactionTimeoutMs);
      done(fenced ? 'fenced' : 'abort');
      await hooks?.afterTransactionError?.({ partition, fenced, error: err });
      if (fenced) return this.markFenced(state, err);
      this.sizer.failed(chunk, err); // refused for its size: the next try is smaller (transaction-size.ts)
      this.log?.warn(
        { event: ENGINE_EVENTS.aborted, partition, err },
        'transaction failed; re-establishing the partition',
      );
      await state.drop();
      state.generation = -1;
      // Re-read from the last committed position at once, even if no new record ever arrives.
      this.seek(state, state.position);
      return false;
    }
    done('commit');
    state.position = next;
    this.counters.committed(chunk.length, result);
    this.lastActivity = Date.now();
    this.log?.debug({ event: ENGINE_EVENTS.committed, partition, next: nextOffset }, 'committed');
    if (result.dlq?.length) {
      const offsets = result.dlq.map((d) => d.offset);
      this.log?.warn({ event: ENGINE_EVENTS.deadLettered, partition, offsets }, 'records sent to the DLQ');
    }
    payload.resolveOffset(chunk[chunk.length - 1]!.offset);
    await hooks?.afterCommit?.({ partition, nextOffset });
    return true;
  }

  /** p's establishment is of this generation, and no heartbeat has announced the next one */
  private current(state: PartitionState): boolean {
    return state.generation === this.generation && !this.heartbeats.workStopped;
  }

  private abortInFlight(): void {
    for (const abort of this.inFlight) abort.abort();
  }

  private markFenced(state: PartitionState, err: unknown): false {
    this.counters.report.fenced += 1;
    state.markFenced();
    this.log?.warn(
      { event: ENGINE_EVENTS.fenced, partition: state.partition, err },
      'fenced: another instance owns this partition now',
    );
    this.consumer.pause([{ topic: this.options.topic, partitions: [state.partition] }]);
    return false;
  }

  private async shutdown(): Promise<void> {
    const session = { consumer: this.consumer, delivery: this.delivery, admin: this.admin };
    const left = await leaveWithin(this.options.shutdownTimeoutMs, session, this.partitions, this.log);
    this.counters.report.shutdownTimedOut = !left;
  }
}

export async function runSession(options: SessionOptions): Promise<SessionReport> {
  return new ConsumeTransformProduceSession(options).run();
}
