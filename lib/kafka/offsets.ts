// Committed offsets of a consumer group, read from the group coordinator.
import type { Admin } from 'kafkajs';

/** The committed offset of `partition`, or null when the group has none for it. */
export async function committedOffset(
  admin: Admin,
  groupId: string,
  topic: string,
  partition: number,
): Promise<bigint | null> {
  const [topicOffsets] = await admin.fetchOffsets({ groupId, topics: [topic] });
  const found = topicOffsets?.partitions.find((x) => x.partition === partition);
  const offset = found ? BigInt(found.offset) : -1n;
  return offset < 0n ? null : offset;
}

/** The first offset still in the log of `partition`. */
export async function logStartOffset(admin: Admin, topic: string, partition: number): Promise<bigint> {
  const marks = await admin.fetchTopicOffsets(topic);
  return BigInt(marks.find((m) => m.partition === partition)?.low ?? '0');
}
