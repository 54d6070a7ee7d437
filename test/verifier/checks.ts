// The verifier's checks of G1–G6, over data read independently at the end of a run: the HTTP answers
// the driver saw, the jobs and results in PostgreSQL, and what a fresh read_committed consumer reads
// from the results and DLQ topics and from __consumer_offsets. Pure functions, so they are unit-tested
// with violations planted.
import { canonicalJson } from '../../lib/util/canonical-json.ts';
import type { OffsetCommit } from './offsets-log.ts';

export interface Accepted {
  key: string;
  /** every job id a 2xx answer gave for this key (all must be the same) */
  ids: string[];
}

export interface JobRow {
  id: string;
  idempotencyKey: string;
  status: string;
}

export interface Evidence {
  accepted: Accepted[];
  jobs: JobRow[];
  /** job id → the result event JSON that the stored row implies */
  storedEvents: Map<string, string>;
  /** job ids whose results table holds more than one row (impossible with the primary key; checked anyway) */
  duplicateResultRows: string[];
  /** result events read under read_committed: key (job id) and value */
  events: { key: string | null; value: string | null }[];
  /** poison records the run injected (their markers) */
  poisonInjected: string[];
  /** keys of every DLQ record read under read_committed (a job id, or a poison marker) */
  dlqKeys: (string | null)[];
  /** ids of the accepted jobs the provider always refuses: they must give up */
  doomedJobIds: string[];
  /** the evaluate group's offset commits in commit order; only `jobsTopic`'s are checked */
  offsetCommits: OffsetCommit[];
  jobsTopic: string;
}

export type ViolationKind =
  | 'accepted-without-job'
  | 'idempotency-key-gave-two-ids'
  | 'job-not-terminal'
  | 'missing-result-row'
  | 'duplicate-result-rows'
  | 'missing-event'
  | 'duplicate-event'
  | 'event-differs-from-stored'
  | 'event-for-unknown-job'
  | 'poison-not-in-dlq'
  | 'duplicate-dlq-record'
  | 'given-up-without-dlq'
  | 'given-up-not-failed'
  | 'dlq-record-for-healthy-job'
  | 'committed-offset-regressed'
  // G7, webhooks (webhook-checks.ts)
  | 'webhook-missing'
  | 'webhook-wrong-event'
  | 'webhook-ids-differ'
  | 'webhook-bad-signature'
  | 'webhook-after-disable';

export interface Violation {
  kind: ViolationKind;
  guarantee: 'G1' | 'G2' | 'G3' | 'G4' | 'G5' | 'G6' | 'G7';
  id: string;
  detail?: string;
}

export function checkGuarantees(e: Evidence): Violation[] {
  const v: Violation[] = [];
  const jobsById = new Map(e.jobs.map((j) => [j.id, j]));
  const eventsByJob = new Map<string, string[]>();
  for (const ev of e.events) {
    const list = eventsByJob.get(ev.key ?? '') ?? [];
    list.push(ev.value ?? '');
    eventsByJob.set(ev.key ?? '', list);
  }
  const acceptedIds = new Set<string>();
  for (const a of e.accepted) {
    const distinct = [...new Set(a.ids)];
    if (distinct.length > 1)
      v.push({
        kind: 'idempotency-key-gave-two-ids',
        guarantee: 'G4',
        id: a.key,
        detail: distinct.join(','),
      });
    for (const id of distinct) {
      acceptedIds.add(id);
      const job = jobsById.get(id);
      if (!job || job.idempotencyKey !== a.key)
        v.push({ kind: 'accepted-without-job', guarantee: 'G4', id, detail: a.key });
    }
  }
  for (const id of acceptedIds) {
    const job = jobsById.get(id);
    if (!job) continue;
    if (job.status !== 'completed' && job.status !== 'failed') {
      v.push({ kind: 'job-not-terminal', guarantee: 'G1', id, detail: job.status });
      continue;
    }
    const stored = e.storedEvents.get(id);
    if (!stored) {
      v.push({ kind: 'missing-result-row', guarantee: 'G2', id });
      continue;
    }
    const events = eventsByJob.get(id) ?? [];
    if (events.length === 0) v.push({ kind: 'missing-event', guarantee: 'G3', id });
    if (events.length > 1)
      v.push({ kind: 'duplicate-event', guarantee: 'G3', id, detail: `${events.length} events` });
    for (const ev of events) {
      if (!sameJson(ev, stored)) v.push({ kind: 'event-differs-from-stored', guarantee: 'G3', id });
    }
  }
  for (const id of e.duplicateResultRows) v.push({ kind: 'duplicate-result-rows', guarantee: 'G2', id });
  for (const key of eventsByJob.keys()) {
    if (!jobsById.has(key)) v.push({ kind: 'event-for-unknown-job', guarantee: 'G3', id: key });
  }
  v.push(...checkDeadLetters(e, jobsById), ...checkZombieSafety(e));
  return v;
}

/**
 * G5: every poison record and every job that gave up has exactly one DLQ record, a job that gave up is
 * failed, and no job that could be processed (a database outage is not poison) is in the DLQ.
 */
function checkDeadLetters(e: Evidence, jobsById: Map<string, JobRow>): Violation[] {
  const v: Violation[] = [];
  const dlqCount = new Map<string, number>();
  for (const key of e.dlqKeys) dlqCount.set(key ?? '', (dlqCount.get(key ?? '') ?? 0) + 1);
  for (const [key, n] of dlqCount)
    if (n > 1) v.push({ kind: 'duplicate-dlq-record', guarantee: 'G5', id: key, detail: `${n} records` });
  for (const p of e.poisonInjected)
    if (!dlqCount.has(p)) v.push({ kind: 'poison-not-in-dlq', guarantee: 'G5', id: p });
  const doomed = new Set(e.doomedJobIds);
  for (const id of doomed) {
    const job = jobsById.get(id);
    if (!dlqCount.has(id)) v.push({ kind: 'given-up-without-dlq', guarantee: 'G5', id });
    if (job && job.status !== 'failed')
      v.push({ kind: 'given-up-not-failed', guarantee: 'G5', id, detail: job.status });
  }
  for (const key of dlqCount.keys())
    if (jobsById.has(key) && !doomed.has(key))
      v.push({
        kind: 'dlq-record-for-healthy-job',
        guarantee: 'G5',
        id: key,
        detail: jobsById.get(key)!.status,
      });
  return v;
}

/**
 * G6: an instance that lost its partition never commits for it again. Its late commit would move the
 * partition's committed offset backwards in the group's commit log; a deletion (tombstone) resets.
 */
function checkZombieSafety(e: Evidence): Violation[] {
  const v: Violation[] = [];
  const last = new Map<number, bigint>();
  for (const c of e.offsetCommits) {
    if (c.topic !== e.jobsTopic) continue;
    if (c.offset === null) {
      last.delete(c.partition);
      continue;
    }
    const before = last.get(c.partition);
    if (before !== undefined && c.offset < before)
      v.push({
        kind: 'committed-offset-regressed',
        guarantee: 'G6',
        id: `${c.topic}/${c.partition}`,
        detail: `${before} → ${c.offset}`,
      });
    last.set(c.partition, c.offset);
  }
  return v;
}

function sameJson(a: string, b: string): boolean {
  try {
    return canonicalJson(JSON.parse(a)) === canonicalJson(JSON.parse(b));
  } catch {
    return false;
  }
}

export function countByKind(violations: Violation[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const x of violations) out[x.kind] = (out[x.kind] ?? 0) + 1;
  return out;
}
