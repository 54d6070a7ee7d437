// The dashboard's system-wide queue figures, read from the brokers: the evaluator group's lag on the jobs
// topic and the number of records held in the dead-letter topic. Cached briefly: every open dashboard
// polls, and each read costs the brokers a few metadata and offset requests.
import type { Admin } from 'kafkajs';
import { consumerLag } from '../kafka/lag.ts';
import type { QueueStats } from './pages/dashboard.ts';

export function queueStatsReader(o: {
  admin: () => Promise<Admin>;
  group: string;
  jobsTopic: string;
  dlqTopic: string;
  cacheMs?: number;
}): () => Promise<QueueStats> {
  let cached: { at: number; value: Promise<QueueStats> } | undefined;
  const read = async (): Promise<QueueStats> => {
    const admin = await o.admin();
    const [lag, dlq] = await Promise.all([
      consumerLag(admin, o.group, o.jobsTopic),
      admin.fetchTopicOffsets(o.dlqTopic),
    ]);
    return {
      lag: lag.reduce((s, p) => s + p.lag, 0),
      dlq: dlq.reduce((s, p) => s + Math.max(0, Number(p.high) - Number(p.low)), 0),
    };
  };
  return () => {
    const now = Date.now();
    if (!cached || now - cached.at > (o.cacheMs ?? 2_000)) {
      const value = read();
      value.catch(() => {
        cached = undefined;
      });
      cached = { at: now, value };
    }
    return cached.value;
  };
}
