// Output records grouped per topic, the shape kafkajs' sendBatch takes.
import type { Message, TopicMessages } from 'kafkajs';
import type { OutputRecord } from './types.ts';

export function byTopic(records: OutputRecord[]): TopicMessages[] {
  const grouped = new Map<string, Message[]>();
  for (const r of records) {
    const list = grouped.get(r.topic) ?? [];
    list.push({ key: r.key, value: r.value, headers: r.headers });
    grouped.set(r.topic, list);
  }
  return [...grouped].map(([topic, messages]) => ({ topic, messages }));
}
