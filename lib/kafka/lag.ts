// Consumer lag per partition = end offset − committed offset, read from the brokers (the group
// coordinator keeps committed offsets), so it is right between invocations, when no member is alive.
import type { Admin } from 'kafkajs';

export interface PartitionLag {
  partition: number;
  end: number;
  committed: number | null;
  lag: number;
}

export async function consumerLag(admin: Admin, groupId: string, topic: string): Promise<PartitionLag[]> {
  const [ends, [committed]] = await Promise.all([
    admin.fetchTopicOffsets(topic),
    admin.fetchOffsets({ groupId, topics: [topic] }),
  ]);
  return ends
    .map((e) => {
      const c = committed?.partitions.find((p) => p.partition === e.partition);
      const offset = c && Number(c.offset) >= 0 ? Number(c.offset) : null;
      // Nothing committed yet: everything still in the log is pending.
      const from = offset ?? Number(e.low);
      return {
        partition: e.partition,
        end: Number(e.high),
        committed: offset,
        lag: Math.max(0, Number(e.high) - from),
      };
    })
    .sort((a, b) => a.partition - b.partition);
}
