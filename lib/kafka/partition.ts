// One input partition as a session sees it: its producer (the partition's transactional id), where the
// session stands in it, and whether it may touch it at all.
import type { Kafka, Producer, Transaction } from 'kafkajs';
import { FAST_RETRY } from './client.ts';
import type { PartitionLink } from './delivery.ts';
import { partitionTransactionalId } from './transactional-id.ts';

export class PartitionState implements PartitionLink {
  /** rebalance generation this partition was established in; -1 = must (re)establish */
  generation = -1;
  /** next offset to process = the committed offset as far as this session knows */
  position = 0n;
  /** set after a seek: batches fetched from anywhere else are stale and ignored */
  awaitingFetchAt: bigint | undefined;
  /** another instance owns the partition: paused, never touched again until assigned anew */
  fenced = false;
  /** its committed offset disagrees with the application's record of it (progress.ts): paused */
  refused = false;
  /** paused in the consumer (after fencing or refusing); kafkajs keeps pauses across rebalances */
  paused = false;
  private producer: Producer | undefined;
  /** the transaction whose start fenced the previous owner; used by the first batch */
  private openTx: Transaction | undefined;

  readonly partition: number;
  readonly readCommitted: () => Promise<bigint>;
  private readonly newProducer: () => Producer;

  constructor(options: {
    partition: number;
    kafka: Kafka;
    transactionalId: string;
    transactionTimeoutMs: number;
    readCommitted: () => Promise<bigint>;
  }) {
    const { kafka, transactionalId, transactionTimeoutMs } = options;
    this.partition = options.partition;
    this.readCommitted = options.readCommitted;
    this.newProducer = () =>
      kafka.producer({
        transactionalId,
        idempotent: true,
        maxInFlightRequests: 1,
        transactionTimeout: transactionTimeoutMs,
        retry: FAST_RETRY,
      });
  }

  /**
   * A rebalance: whatever we held may have had another owner in between, so the partition is
   * established again before its next batch. True when it must be resumed in the consumer.
   */
  static create(
    o: { kafka: Kafka; app: string; groupId: string; topic: string; transactionTimeoutMs: number },
    partition: number,
    readCommitted: () => Promise<bigint>,
  ): PartitionState {
    const transactionalId = partitionTransactionalId(o.app, o.groupId, o.topic, partition);
    const { kafka, transactionTimeoutMs } = o;
    return new PartitionState({ partition, kafka, transactionalId, transactionTimeoutMs, readCommitted });
  }

  /** Whether a batch fetched at `fetchedAt` is the one our last seek asked for (else: stale). */
  seekTookEffect(fetchedAt: bigint): boolean {
    if (this.awaitingFetchAt === undefined) return true;
    if (fetchedAt !== this.awaitingFetchAt) return false;
    this.awaitingFetchAt = undefined;
    return true;
  }

  /**
   * kafkajs never hands over a fetch holding only aborted records and transaction markers: it moves
   * its own position past them. When that fetch started where our seek asked (`first`), its next one
   * starts after `last`, and that is the fetch to wait for — waiting for one at the seek itself would
   * wait for ever. Only such evidence moves the wait; a later start without it stays stale.
   */
  skippedByConsumer(first: bigint, last: bigint): void {
    if (this.awaitingFetchAt !== undefined && first === this.awaitingFetchAt)
      this.awaitingFetchAt = last + 1n;
  }

  rejoined(assigned: boolean): boolean {
    this.generation = -1;
    // kafkajs may have reset its fetch position from its own offset cache: a pending seek is void
    // (establishing seeks again), or every batch would look stale for ever.
    this.awaitingFetchAt = undefined;
    this.fenced = false;
    this.refused = false; // asked again at the next establish: restored offsets resume it
    if (!assigned) void this.drop();
    // kafkajs keeps a pause across rebalances: resume a partition fenced earlier once it is ours again.
    const resume = this.paused && assigned;
    if (resume) this.paused = false;
    return resume;
  }

  /** Another instance owns the partition: stop touching it (the session pauses it). */
  markFenced(): void {
    this.fenced = true;
    this.paused = true;
    void this.drop();
  }

  /** Its offset and the application's record disagree: stop touching it (the session pauses it). */
  markRefused(): void {
    this.refused = true;
    this.paused = true;
    void this.drop();
  }

  async fence(): Promise<void> {
    this.drop();
    const producer = this.newProducer();
    this.producer = producer;
    await producer.connect();
    // kafkajs sends InitProducerId on a producer's first transaction(), not on connect(): this is the fence.
    this.openTx = await producer.transaction();
  }

  async transaction(): Promise<Transaction> {
    // Never fence again here: the producer was dropped because the partition was lost, and a late
    // fence would fence its new owner (only the read-then-fence control fences late, on purpose).
    if (!this.producer) throw new Error(`partition ${this.partition} has no producer: it was lost`);
    const tx = this.openTx ?? (await this.producer!.transaction());
    this.openTx = undefined;
    return tx;
  }

  hasProducer(): boolean {
    return this.producer !== undefined;
  }

  /** Throws the producer away (kafkajs leaves one stuck after a transactional error). */
  drop(): Promise<void> {
    const producer = this.producer;
    this.producer = undefined;
    this.openTx = undefined;
    return producer?.disconnect().catch(() => {}) ?? Promise.resolve();
  }
}
