// One consumer span per partition batch, linked to the spans that produced its records.
import { linkFromHeaders, SpanKind, withSpan } from '../telemetry/tracing.ts';
import type { InputRecord } from './types.ts';

/** Span links are bounded: the headers of the first 128 records only are read (hot path). */
const MAX_LINKS = 128;

export function withBatchSpan<T>(topic: string, records: InputRecord[], fn: () => Promise<T>): Promise<T> {
  const links = records
    .slice(0, MAX_LINKS)
    .map((r) => linkFromHeaders(r.headers))
    .filter((l) => l !== undefined);
  const attributes = {
    'messaging.system': 'kafka',
    'messaging.destination.name': topic,
    'messaging.destination.partition.id': String(records[0]!.partition),
    'messaging.batch.message_count': records.length,
  };
  return withSpan(`process ${topic}`, { kind: SpanKind.CONSUMER, links, attributes }, fn);
}
