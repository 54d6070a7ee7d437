// Dead-letter records: the original record (key, value, headers) plus why it could not be processed and
// where it came from, so an operator can inspect it and re-publish it to its source topic.
import type { DlqDecision, InputRecord, OutputRecord } from './types.ts';

export const DLQ_HEADERS = {
  code: 'dlq-error-code',
  message: 'dlq-error-message',
  attempts: 'dlq-attempts',
  topic: 'dlq-source-topic',
  partition: 'dlq-source-partition',
  offset: 'dlq-source-offset',
} as const;

/** The reason is capped: a DLQ record must never be refused for its own headers. */
export const MAX_DLQ_MESSAGE_LENGTH = 2000;

export function dlqRecords(
  dlqTopic: string,
  records: InputRecord[],
  decisions: DlqDecision[],
): OutputRecord[] {
  return decisions.map((d) => {
    const original = records.find((r) => r.offset === d.offset);
    if (!original) throw new Error(`DLQ decision for offset ${d.offset}, which is not in the batch`);
    const headers: Record<string, string | Buffer> = {};
    for (const [k, v] of Object.entries(original.headers)) {
      if (v !== undefined) headers[k] = Array.isArray(v) ? String(v[0]) : v;
    }
    Object.assign(headers, {
      [DLQ_HEADERS.code]: d.code,
      [DLQ_HEADERS.message]: d.message.slice(0, MAX_DLQ_MESSAGE_LENGTH),
      [DLQ_HEADERS.attempts]: String(d.attempts ?? 1),
      [DLQ_HEADERS.topic]: original.topic,
      [DLQ_HEADERS.partition]: String(original.partition),
      [DLQ_HEADERS.offset]: original.offset,
    });
    return { topic: dlqTopic, key: original.key, value: original.value, headers };
  });
}
