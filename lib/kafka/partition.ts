// One input partition as a session sees it: its producer (the partition's transactional id), where the
// session stands in it, and whether it may touch it at all.
import type { Kafka, Producer, Transaction } from 'kafkajs';
import { FAST_RETRY } from './client.ts';
import type { PartitionLink } from './delivery.ts';

export class PartitionState implements PartitionLink {
  /** rebalance generation this partition was established in; -1 = must (re)establish */
  generation = -1;
  /** next offset to process = the committed offset as far as this session knows */
  position = 0n;
  /** set after a seek: batches fetched from anywhere else are stale and ignored */
  awaitingFetchAt: bigint | undefined;
  /** another instance owns the partition: paused, never touched again until assigned anew */
  fenced = false;
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

  async fence(): Promise<void> {
    this.drop();
    const producer = this.newProducer();
    this.producer = producer;
    await producer.connect();
    // kafkajs sends InitProducerId on a producer's first transaction(), not on connect(): this is the fence.
    this.openTx = await producer.transaction();
  }

  async transaction(): Promise<Transaction> {
    if (!this.producer) await this.fence();
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
