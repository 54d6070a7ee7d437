// The chaos schedule of a verifier run: which fault happens at which point of the submission progress,
// to which process. Derived only from the seed and the counts, so the same --seed gives the same schedule.

export type FaultKind =
  | 'kill-evaluator'
  | 'stop-evaluator'
  | 'pause-evaluator'
  | 'kill-submit'
  | 'bounce-broker'
  | 'db-outage'
  | 'add-partitions'
  | 'delete-offsets'
  | 'oversize-results'
  | 'twin-submit'
  | 'kill-notify'
  | 'receiver-outage'
  | 'receiver-429'
  | 'receiver-gone';

export interface Fault {
  /** fires once this fraction of the jobs has been accepted */
  at: number;
  kind: FaultKind;
  /** index of the target among its kind (evaluator slot, submit instance, broker id - 1) */
  target: number;
  /** for pauses: extra wait after the takeover before resuming (ms) */
  resumeDelayMs: number;
}

/** mulberry32: small, fast, good enough to spread faults; deterministic per seed. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface ScheduleCounts {
  killEvaluators: number;
  stopEvaluators: number;
  pauseEvaluators: number;
  killSubmit: number;
  bounceBrokers: number;
  dbOutages?: number;
  addPartitions?: number;
  deleteOffsets?: number;
  oversizeResults?: number;
  twinSubmits?: number;
  killNotifiers?: number;
  receiverOutages?: number;
  receiver429s?: number;
  receiverGone?: number;
  notifiers?: number;
  evaluators: number;
  submits: number;
  brokers: number;
}

export function chaosSchedule(seed: number, c: ScheduleCounts): Fault[] {
  const random = seededRandom(seed);
  const faults: Fault[] = [];
  const add = (kind: FaultKind, count: number, targets: number) => {
    for (let i = 0; i < count; i++) {
      faults.push({
        at: 0.05 + random() * 0.85,
        kind,
        target: Math.floor(random() * Math.max(1, targets)),
        resumeDelayMs: Math.floor(random() * 400),
      });
    }
  };
  add('kill-evaluator', c.killEvaluators, c.evaluators);
  add('stop-evaluator', c.stopEvaluators, c.evaluators);
  add('pause-evaluator', c.pauseEvaluators, c.evaluators);
  add('kill-submit', c.killSubmit, c.submits);
  add('bounce-broker', c.bounceBrokers, c.brokers);
  // Added after the older kinds so that a seed keeps the schedule it had before these existed.
  add('db-outage', c.dbOutages ?? 0, 1);
  add('add-partitions', c.addPartitions ?? 0, 1);
  add('delete-offsets', c.deleteOffsets ?? 0, 1);
  add('oversize-results', c.oversizeResults ?? 0, 1);
  add('twin-submit', c.twinSubmits ?? 0, c.submits);
  add('kill-notify', c.killNotifiers ?? 0, c.notifiers ?? 1);
  add('receiver-outage', c.receiverOutages ?? 0, 1);
  add('receiver-429', c.receiver429s ?? 0, 1);
  add('receiver-gone', c.receiverGone ?? 0, 1);
  return faults.sort((a, b) => a.at - b.at);
}
