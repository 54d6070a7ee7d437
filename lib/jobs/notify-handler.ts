// The notify function's batch handler: turns result events into webhook deliveries. For each result
// record it creates, once, one delivery per subscribed endpoint, tagged with the record's (partition,
// offset), and wakes the delivery pump, which sends them beside the session: the batch commits as soon
// as its deliveries exist and never waits on an endpoint (a hanging one would hold every other client's
// deliveries and the partition's commits for its whole timeout). On a replay of the same records (their
// Kafka transaction never committed) nothing new is created: each delivery row exists once, and its
// attempts are at least once under its one webhook-id.
import { inArray } from 'drizzle-orm';
import { z } from 'zod';
import type { Database } from '../db/database.ts';
import { erasedAmong } from '../db/erasure.ts';
import { jobs } from '../db/schema.ts';
import { createDeliveries, type NewDeliveryEvent } from '../db/webhooks.ts';
import { codes } from '../errors.ts';
import type { BatchHandler, DlqDecision, InputRecord } from '../kafka/types.ts';
import type { DispatchOptions } from '../webhooks/dispatcher.ts';
import { evaluationEvent } from '../webhooks/payload.ts';
import type { DeliveryPump } from '../webhooks/pump.ts';
import { databaseOutageIsNotPoison } from './database-outage.ts';

export interface NotifyHandlerOptions {
  dispatch: DispatchOptions;
  /** sends the deliveries the handler creates (started and drained by the invocation) */
  pump: DeliveryPump;
  /** the service's public URL for payload links ('' = relative links) */
  publicBaseUrl: string;
}

const resultRecord = z.looseObject({
  v: z.literal(1),
  job_id: z.uuid(),
  status: z.enum(['completed', 'failed']),
});

export function createNotifyHandler(o: NotifyHandlerOptions) {
  const db: Database = o.dispatch.db;
  const stats = { events: 0, poison: 0, tombstones: 0, erased: 0 };

  const handle: BatchHandler = async ({ records, partition }) => {
    const dlq: DlqDecision[] = [];
    const parsed: { record: InputRecord; jobId: string; status: 'completed' | 'failed' }[] = [];
    for (const record of records) {
      // An erasure's tombstone (null value, lib/jobs/erasure.ts): nothing to announce, and not poison.
      // The batch's commit moves past it like any other record.
      if (record.value === null) {
        stats.tombstones += 1;
        o.dispatch.logger?.debug({ partition, offset: record.offset }, 'tombstone skipped');
        continue;
      }
      try {
        const value = resultRecord.parse(JSON.parse(record.value.toString()));
        parsed.push({ record, jobId: value.job_id, status: value.status });
      } catch (err) {
        stats.poison += 1;
        dlq.push({
          offset: record.offset,
          code: codes.MALFORMED_RECORD,
          message: `not a result event: ${err instanceof Error ? err.message.slice(0, 300) : String(err)}`,
        });
      }
    }
    const ids = [...new Set(parsed.map((p) => p.jobId))];
    const meta = ids.length
      ? await db
          .select({
            id: jobs.id,
            clientId: jobs.clientId,
            positionId: jobs.positionId,
            positionVersion: jobs.positionVersion,
          })
          .from(jobs)
          .where(inArray(jobs.id, ids))
      : [];
    const byId = new Map(meta.map((j) => [j.id, j]));
    // A result committed to Kafka just after its job was erased (lib/jobs/retention.ts) has no job left:
    // it is announced to no one, like its tombstone, and is not poison.
    const missing = ids.filter((id) => !byId.has(id));
    const erased = missing.length ? await erasedAmong(db, missing) : new Set<string>();
    const events: NewDeliveryEvent[] = [];
    for (const p of parsed) {
      const job = byId.get(p.jobId);
      if (!job && erased.has(p.jobId)) {
        stats.erased += 1;
        o.dispatch.logger?.debug({ partition, offset: p.record.offset }, 'result of an erased job skipped');
        continue;
      }
      if (!job) {
        stats.poison += 1;
        dlq.push({ offset: p.record.offset, code: codes.UNKNOWN_JOB, message: `no job ${p.jobId}` });
        continue;
      }
      const payload = evaluationEvent(
        {
          jobId: job.id,
          status: p.status,
          positionId: job.positionId,
          positionVersion: job.positionVersion,
          at: new Date(Number(p.record.timestamp)),
        },
        o.publicBaseUrl,
      );
      events.push({
        jobId: job.id,
        clientId: job.clientId,
        eventType: payload.type,
        payload: JSON.stringify(payload),
        sourceOffset: BigInt(p.record.offset),
      });
    }
    stats.events += events.length;
    await createDeliveries(db, partition, events);
    if (events.length) {
      const times = new Map(parsed.map((p) => [p.record.offset, Number(p.record.timestamp)]));
      const offsets = events.map((e) => e.sourceOffset.toString());
      o.pump.noteResults(
        partition,
        offsets.map((offset) => ({ offset, timestamp: times.get(offset) ?? Date.now() })),
      );
      o.pump.wake();
    }
    return { outputs: [], dlq };
  };
  return Object.assign(databaseOutageIsNotPoison(handle), { stats });
}
