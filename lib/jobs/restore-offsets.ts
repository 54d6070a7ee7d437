// `npm run offsets:restore`: puts the evaluate group's committed offsets back from what was durably done,
// after they were lost (expired after offsets.retention, group deleted or renamed, reset by hand) and
// the evaluator refused the partitions (lib/kafka/progress.ts).
//
// Which offset? Not "highest stored source offset + 1": outcomes are stored before their Kafka
// transaction, so the highest ones may belong to a batch whose transaction never committed; skipping
// them would leave those jobs completed in PostgreSQL with no event, ever. Not anything lower either:
// every stored outcome below the offset would be emitted again (the replay rule). The right offset is
// one past the last record whose OUTPUT is committed — its result event on the results topic (read
// under read_committed) or its DLQ record (which names its source partition and offset). A record's
// output and the offset past it commit in one transaction, so that is exactly where the group stood,
// up to records that produced no output at all (duplicate requests, erased jobs), which produce none
// again. The outcomes stored after it are the uncommitted tail: they are emitted once, as replays.
// The position the evaluator recorded as committed (committed_offsets) is a lower bound too, and may
// stand past the last output (records without one): the offset is the higher of the two. The record is
// then set to the restored offsets, so the engine's check agrees with them.
import type { Kafka } from 'kafkajs';
import type { Database } from '../db/database.ts';
import { latestOutcomes, recordedOffsets, recordOffset, type TaggedOutcome } from '../db/progress.ts';
import { DLQ_HEADERS } from '../kafka/dlq.ts';
import { readTopicSince } from '../kafka/topic-tail.ts';

export interface PartitionPlan {
  partition: number;
  committed: bigint | null;
  logStart: bigint;
  /** the partition's log end (high watermark): no offset past it was ever a record of this log */
  logEnd: bigint;
  /** highest source offset with a stored outcome */
  storedUpTo: bigint | null;
  /** highest source offset whose output (result event or DLQ record) is committed */
  lastOutput: bigint | null;
  /** the position the evaluator recorded as committed (committed_offsets) */
  recorded: bigint | null;
  /** the offset to commit; null: leave the partition as it is */
  target: bigint | null;
  action: 'set' | 'keep' | 'nothing-stored' | 'undecided';
  /** stored outcomes at or after the target: emitted again (once) when the partition resumes */
  replays: number;
  note: string;
}

export interface RestoreOptions {
  db: Database;
  kafka: Kafka;
  groupId: string;
  topics: { jobs: string; results: string; dlq: string };
  /** stored outcomes looked at per partition, latest first */
  window?: number;
  /** events are looked for from the oldest outcome looked at minus this (clock skew) */
  marginMs?: number;
}

export async function planRestore(o: RestoreOptions): Promise<PartitionPlan[]> {
  const window = o.window ?? 5000;
  const admin = o.kafka.admin();
  await admin.connect();
  const [marks, [offsets]] = await Promise.all([
    admin.fetchTopicOffsets(o.topics.jobs),
    admin.fetchOffsets({ groupId: o.groupId, topics: [o.topics.jobs] }),
  ]).finally(() => admin.disconnect());
  const partitions = marks.map((m) => m.partition).sort((a, b) => a - b);
  const recorded = await recordedOffsets(o.db, o.topics.jobs);
  const stored = new Map<number, TaggedOutcome[]>();
  for (const p of partitions) stored.set(p, await latestOutcomes(o.db, p, window + 1));
  const all = [...stored.values()].flatMap((rows) => rows.slice(0, window));
  const emitted = new Set<string>();
  const lastDeadLetter = new Map<number, bigint>();
  if (all.length > 0) {
    const oldest = all.reduce((t, r) => Math.min(t, r.createdAt.getTime()), Number.POSITIVE_INFINITY);
    const since = oldest - (o.marginMs ?? 10 * 60_000);
    const [events, deadLetters] = await Promise.all([
      readTopicSince(o.kafka, o.topics.results, since),
      readTopicSince(o.kafka, o.topics.dlq, since),
    ]);
    if (!events.complete || !deadLetters.complete)
      throw new Error(
        `the ${o.topics.results} or ${o.topics.dlq} topic no longer holds every record written since ` +
          `${new Date(since).toISOString()} (its retention deleted some): committed outputs cannot be told ` +
          'from uncommitted ones, so no offset is computed. A smaller --window looks at fewer, more ' +
          'recent outcomes; failing that, set the offsets by hand (kafka-consumer-groups --reset-offsets), ' +
          'knowing that one past the highest stored source offset skips the outcomes of a transaction ' +
          'that never committed.',
      );
    for (const e of events.records) if (e.value !== null) emitted.add(e.key?.toString() ?? '');
    for (const d of deadLetters.records) {
      if (header(d.headers[DLQ_HEADERS.topic]) !== o.topics.jobs) continue;
      const p = Number(header(d.headers[DLQ_HEADERS.partition]));
      const offset = BigInt(header(d.headers[DLQ_HEADERS.offset]) ?? '-1');
      if (offset > (lastDeadLetter.get(p) ?? -1n)) lastDeadLetter.set(p, offset);
    }
  }
  return partitions.map((p) =>
    decide(blank(p, offsets, marks, recorded.get(p)), stored.get(p)!, window, emitted, lastDeadLetter.get(p)),
  );
}

/** One partition's verdict from its latest stored outcomes (highest first) and its committed outputs. */
export function decide(
  plan: PartitionPlan,
  fetched: TaggedOutcome[],
  window: number,
  emitted: Set<string>,
  lastDeadLetter: bigint | undefined,
): PartitionPlan {
  const rows = fetched.slice(0, window);
  const covered = fetched.length <= window;
  plan.storedUpTo = rows[0]?.sourceOffset ?? null;
  const lastEvent = rows.find((r) => emitted.has(r.jobId))?.sourceOffset;
  const last = max(lastEvent, lastDeadLetter);
  plan.lastOutput = last ?? null;
  if (rows.length === 0 && last === undefined && plan.recorded === null)
    return { ...plan, action: 'nothing-stored', note: 'no outcome stored for this partition' };
  if (lastEvent === undefined && !covered)
    return {
      ...plan,
      action: 'undecided',
      note: `none of its latest ${window} stored outcomes has a committed event: run again with a larger --window`,
    };
  // No output of the partition ever committed: every stored outcome is from an uncommitted transaction.
  let target = last === undefined ? plan.logStart : last + 1n;
  if (plan.recorded !== null && plan.recorded > target) target = plan.recorded;
  if (target < plan.logStart) target = plan.logStart; // those records are gone from the log anyway
  // Outcomes or a recorded position past the log's end came from another log: a cluster made afresh
  // under the same topic names. Any offset here would skip the new log's records or point past its end.
  if (target > plan.logEnd)
    return {
      ...plan,
      action: 'undecided',
      note:
        `the stored outcomes or the recorded position (${target}) are past this partition's log end ` +
        `(${plan.logEnd}): they were recorded on another log (was the cluster formatted afresh?). ` +
        'Nothing is set; see docs/operations.md, "A cluster made afresh"',
    };
  plan.target = target;
  plan.replays = rows.filter((r) => r.sourceOffset >= target).length;
  const c = plan.committed;
  // Kept when it stands exactly past the committed outputs: ahead only over records without outcomes.
  if (c !== null && c >= target && !rows.some((r) => r.sourceOffset >= target && r.sourceOffset < c))
    return { ...plan, action: 'keep', note: `committed offset ${c} agrees with the committed outputs` };
  const why =
    c === null
      ? 'no committed offset'
      : c < target
        ? `committed offset ${c} is behind the committed outputs or the recorded position (would emit them again)`
        : `committed offset ${c} is past stored outcomes whose output never committed (they would never be emitted)`;
  return {
    ...plan,
    action: 'set',
    note: `${why}; ${plan.replays} stored outcome(s) from there on will be emitted once`,
  };
}

/**
 * Commits the planned offsets (Kafka takes an admin's offset commit only for a group with no members),
 * then sets the recorded positions to the offsets the group now has, so the engine's check agrees.
 */
export async function applyRestore(o: RestoreOptions, plan: PartitionPlan[]): Promise<number> {
  const partitions = plan
    .filter((p) => p.action === 'set' && p.target !== null)
    .map((p) => ({ partition: p.partition, offset: p.target!.toString() }));
  if (partitions.length > 0) {
    const admin = o.kafka.admin();
    await admin.connect();
    try {
      await admin.setOffsets({ groupId: o.groupId, topic: o.topics.jobs, partitions });
    } finally {
      await admin.disconnect();
    }
  }
  for (const p of plan) {
    const now = p.action === 'set' ? p.target : p.action === 'keep' ? p.committed : null;
    if (now !== null) await recordOffset(o.db, o.topics.jobs, p.partition, now, 'set');
  }
  return partitions.length;
}

/** The group's state and member count: offsets can be restored only while it is Empty (or Dead). */
export async function groupActivity(kafka: Kafka, groupId: string) {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const { groups } = await admin.describeGroups([groupId]);
    const g = groups.find((x) => x.groupId === groupId);
    const state = g?.state ?? 'Dead';
    return { state, members: g?.members.length ?? 0, empty: state === 'Empty' || state === 'Dead' };
  } finally {
    await admin.disconnect();
  }
}

function blank(
  partition: number,
  offsets: { partitions: { partition: number; offset: string }[] } | undefined,
  marks: { partition: number; low: string; high: string }[],
  recorded: bigint | undefined,
): PartitionPlan {
  const c = offsets?.partitions.find((x) => x.partition === partition);
  const committed = c && BigInt(c.offset) >= 0n ? BigInt(c.offset) : null;
  const mark = marks.find((m) => m.partition === partition);
  const logStart = BigInt(mark?.low ?? '0');
  return {
    partition,
    committed,
    logStart,
    logEnd: BigInt(mark?.high ?? '0'),
    storedUpTo: null,
    lastOutput: null,
    recorded: recorded ?? null,
    target: null,
    action: 'keep',
    replays: 0,
    note: '',
  };
}

const max = (a: bigint | undefined, b: bigint | undefined) =>
  a === undefined ? b : b === undefined ? a : a > b ? a : b;

function header(v: Buffer | string | (Buffer | string)[] | undefined): string | undefined {
  if (v === undefined) return undefined;
  return (Array.isArray(v) ? v[0] : v)?.toString();
}
