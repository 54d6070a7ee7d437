// How a session takes a partition over (step 1) and writes a batch's effects (step 3). Production has
// one way, exactly-once, defined here; the verifier's negative controls, which must be able to break
// the guarantees on purpose, live apart in unsafe-delivery.ts so this path carries no branch for them.
import type { Transaction } from 'kafkajs';
import { sendBounded } from './record-size.ts';
import type { DeliveryMode, OutputRecord } from './types.ts';

/** What a delivery may do with one input partition; the session owns the producer behind it. */
export interface PartitionLink {
  readonly partition: number;
  /** A new transactional producer for the partition's id; its InitProducerId fences the previous owner. */
  fence(): Promise<void>;
  /** The partition's committed offset, as the group coordinator has it now. */
  readCommitted(): Promise<bigint>;
  /** The transaction the fence opened, else a new one on the same producer. */
  transaction(): Promise<Transaction>;
  hasProducer(): boolean;
}

export interface BatchWrite {
  messages: OutputRecord[];
  groupId: string;
  topic: string;
  partition: number;
  /** the offset the partition's consumers resume from after this commit */
  next: bigint;
  /** most bytes of outputs per produce request to a topic: the messages may take several */
  maxBytes(topic: string): number;
  /** test seam: runs after everything was sent, before the commit */
  beforeCommit(): Promise<void>;
}

export interface Delivery {
  readonly mode: DeliveryMode;
  /** Step 1: make the partition ours and return its committed offset. */
  establish(link: PartitionLink): Promise<bigint>;
  /** Step 3: the outputs and the offset, committed together. */
  commit(link: PartitionLink, write: BatchWrite): Promise<void>;
  close(): Promise<void>;
}

/** Fence, then read: a zombie's commit can no longer land after our read. */
export const exactlyOnce: Delivery = {
  mode: 'exactly-once',
  async establish(link) {
    await link.fence();
    return link.readCommitted();
  },
  async commit(link, write) {
    await commitTransaction(await link.transaction(), write);
  },
  async close() {},
};

export async function commitTransaction(tx: Transaction, write: BatchWrite): Promise<void> {
  await sendBounded(tx, write.messages, write.maxBytes);
  await tx.sendOffsets({
    consumerGroupId: write.groupId,
    topics: [
      { topic: write.topic, partitions: [{ partition: write.partition, offset: write.next.toString() }] },
    ],
  });
  await write.beforeCommit();
  await tx.commit();
}
