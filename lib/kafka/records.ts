// Records between kafkajs' shapes and the engine's: fetched messages in, outputs grouped per topic out.
import type { KafkaMessage, Message, TopicMessages } from 'kafkajs';
import type { InputRecord, OutputRecord } from './types.ts';

export function byTopic(records: OutputRecord[]): TopicMessages[] {
  const grouped = new Map<string, Message[]>();
  for (const r of records) {
    const list = grouped.get(r.topic) ?? [];
    list.push({ key: r.key, value: r.value, headers: r.headers });
    grouped.set(r.topic, list);
  }
  return [...grouped].map(([topic, messages]) => ({ topic, messages }));
}

export function toInput(topic: string, partition: number, m: KafkaMessage): InputRecord {
  const { offset, key, value, timestamp } = m;
  return { topic, partition, offset, key, value, headers: m.headers ?? {}, timestamp };
}
