// Stage 6: the evidence, read independently once every process has stopped — SQL over the run's
// database, and fresh read_committed consumers of the results, DLQ and jobs topics and of
// __consumer_offsets. Every read retries: the stack has just been through the faults.
import type { Kafka } from 'kafkajs';
import postgres from 'postgres';
import type { Database } from '../../lib/db/database.ts';
import type { ResultRow } from '../../lib/db/effects.ts';
import { resultEvent } from '../../lib/records/result-event.ts';
import { drainTopic } from '../helpers/kafka.ts';
import type { Evidence, JobRow } from './checks.ts';
import type { DriveResult } from './driver.ts';
import { readOffsetCommits } from './offsets-log.ts';
import { retrying } from './options.ts';

export interface Collected {
  evidence: Evidence;
  jobs: JobRow[];
  resultRows: ResultRow[];
  eventCount: number;
  dlqCount: number;
  duplicateRequestRecords: number;
  offsetCommits: number;
}

export async function collectEvidence(o: {
  db: Database;
  dbUrl: string;
  kafka: Kafka;
  topics: { jobs: string; results: string; dlq: string };
  group: string;
  driven: DriveResult;
  poisonMarkers: string[];
}): Promise<Collected> {
  const sql = postgres(o.dbUrl, { max: 1, onnotice: () => {} });
  try {
    const jobs = await retrying('reading jobs', async () =>
      (await sql`select id, idempotency_key, status from jobs`).map((j) => ({
        id: j.id as string,
        idempotencyKey: j.idempotency_key as string,
        status: j.status as string,
      })),
    );
    const resultRows = await retrying(
      'reading results',
      async () => (await o.db.query.results.findMany()) as ResultRow[],
    );
    const dupRows = await retrying(
      'reading duplicate result rows',
      () => sql`select job_id from results group by job_id having count(*) > 1`,
    );
    const expectedDlq = o.poisonMarkers.length + o.driven.doomedKeys.size;
    const [events, dlq, requestRecords, offsetCommits] = await Promise.all([
      retrying('reading the results topic', () =>
        drainTopic(o.kafka, o.topics.results, {
          expected: resultRows.length,
          settleMs: 3000,
          timeoutMs: 180_000,
        }),
      ),
      retrying('reading the DLQ topic', () =>
        drainTopic(o.kafka, o.topics.dlq, { expected: expectedDlq, settleMs: 1000 }),
      ),
      retrying('reading the jobs topic', () =>
        drainTopic(o.kafka, o.topics.jobs, { settleMs: 1000, timeoutMs: 180_000 }),
      ),
      retrying('reading __consumer_offsets', () => readOffsetCommits(o.kafka, o.group)),
    ]);
    const idByKey = new Map(jobs.map((j) => [j.idempotencyKey, j.id]));
    const perJob = new Map<string, number>();
    for (const r of requestRecords) perJob.set(r.key ?? '', (perJob.get(r.key ?? '') ?? 0) + 1);
    const evidence: Evidence = {
      accepted: [...o.driven.accepted.values()],
      jobs,
      storedEvents: new Map(resultRows.map((r) => [r.jobId, JSON.stringify(resultEvent(r))])),
      duplicateResultRows: dupRows.map((r) => r.job_id as string),
      events: events.map((e) => ({ key: e.key, value: e.value })),
      poisonInjected: o.poisonMarkers,
      dlqKeys: dlq.map((r) => r.key),
      doomedJobIds: [...o.driven.doomedKeys]
        .filter((k) => o.driven.accepted.has(k))
        .map((k) => idByKey.get(k))
        .filter((id): id is string => !!id),
      offsetCommits,
      jobsTopic: o.topics.jobs,
    };
    return {
      evidence,
      jobs,
      resultRows,
      eventCount: events.length,
      dlqCount: dlq.length,
      duplicateRequestRecords: [...perJob.values()].filter((n) => n > 1).length,
      offsetCommits: offsetCommits.length,
    };
  } finally {
    await sql.end({ timeout: 1 }).catch(() => {});
  }
}
