// The verifier's own checks must be able to fail: each violation kind is planted and must be reported.
import { describe, expect, it } from 'vitest';
import { ENGINE_EVENTS } from '../../lib/kafka/events.ts';
import { checkGuarantees, type Evidence } from '../verifier/checks.ts';
import { decodeOffsetCommit } from '../verifier/offsets-log.ts';
import { engineSignal } from '../verifier/processes.ts';
import { chaosSchedule } from '../verifier/schedule.ts';
import { checkWebhooks } from '../verifier/webhook-checks.ts';
import type { ReceivedDelivery } from '../verifier/webhook-receiver.ts';

const event = (id: string, score = 0.8) =>
  JSON.stringify({ v: 1, job_id: id, status: 'completed', result: { cv_match_rate: score } });

function clean(): Evidence {
  return {
    accepted: [
      { key: 'k1', ids: ['j1', 'j1'] },
      { key: 'k2', ids: ['j2'] },
    ],
    jobs: [
      { id: 'j1', idempotencyKey: 'k1', status: 'completed' },
      { id: 'j2', idempotencyKey: 'k2', status: 'failed' },
    ],
    storedEvents: new Map([
      ['j1', event('j1')],
      ['j2', event('j2', 0.5)],
    ]),
    duplicateResultRows: [],
    events: [
      { key: 'j1', value: event('j1') },
      { key: 'j2', value: event('j2', 0.5) },
    ],
    poisonInjected: ['p1'],
    dlqKeys: ['p1'],
    doomedJobIds: [],
    offsetCommits: [],
    jobsTopic: 'jobs',
  };
}

describe('verifier checks', () => {
  it('a clean run has no violation', () => {
    expect(checkGuarantees(clean())).toEqual([]);
  });

  it('reports every planted violation', () => {
    const e = clean();
    e.events.push({ key: 'j1', value: event('j1') }); // duplicate event
    e.events[1] = { key: 'j2', value: event('j2', 0.9) }; // differs from stored
    e.accepted.push({ key: 'k3', ids: ['j3'] }); // accepted, no job row
    e.accepted.push({ key: 'k4', ids: ['j4', 'j5'] }); // one key, two ids
    e.jobs.push({ id: 'j6', idempotencyKey: 'k6', status: 'processing' });
    e.accepted.push({ key: 'k6', ids: ['j6'] }); // stuck
    e.jobs.push({ id: 'j7', idempotencyKey: 'k7', status: 'completed' });
    e.accepted.push({ key: 'k7', ids: ['j7'] }); // terminal but no result row
    e.jobs.push({ id: 'j8', idempotencyKey: 'k8', status: 'completed' });
    e.accepted.push({ key: 'k8', ids: ['j8'] });
    e.storedEvents.set('j8', event('j8')); // no event at all
    e.duplicateResultRows.push('j1');
    e.events.push({ key: 'ghost', value: '{}' });
    e.poisonInjected.push('p2');
    const kinds = checkGuarantees(e)
      .map((x) => x.kind)
      .sort();
    expect(kinds).toEqual(
      [
        'accepted-without-job',
        'accepted-without-job',
        'accepted-without-job',
        'duplicate-event',
        'duplicate-result-rows',
        'event-differs-from-stored',
        'event-for-unknown-job',
        'idempotency-key-gave-two-ids',
        'job-not-terminal',
        'missing-event',
        'missing-result-row',
        'poison-not-in-dlq',
      ].sort(),
    );
  });
});

describe('verifier checks: dead letters (G5) and zombie safety (G6)', () => {
  const kinds = (e: Evidence) =>
    checkGuarantees(e)
      .map((x) => x.kind)
      .sort();

  it('a job that gave up with exactly one DLQ record and failed passes', () => {
    const e = clean();
    e.doomedJobIds.push('j2');
    e.dlqKeys.push('j2');
    expect(checkGuarantees(e)).toEqual([]);
  });

  it('reports a given-up job without a DLQ record, with two, or not failed', () => {
    const missing = clean();
    missing.doomedJobIds.push('j2');
    expect(kinds(missing)).toEqual(['given-up-without-dlq']);

    const twice = clean();
    twice.doomedJobIds.push('j2');
    twice.dlqKeys.push('j2', 'j2');
    expect(kinds(twice)).toEqual(['duplicate-dlq-record']);

    const completed = clean();
    completed.doomedJobIds.push('j1');
    completed.dlqKeys.push('j1');
    expect(kinds(completed)).toEqual(['given-up-not-failed']);
  });

  it('reports a job that could be processed but went to the DLQ, and poison dead-lettered twice', () => {
    const e = clean();
    e.dlqKeys.push('j1', 'p1');
    expect(kinds(e)).toEqual(['dlq-record-for-healthy-job', 'duplicate-dlq-record']);
  });

  it('reports a committed offset that moved backwards; a deletion resets, other topics are ignored', () => {
    const commit = (partition: number, offset: bigint | null, topic = 'jobs') => ({
      topic,
      partition,
      offset,
    });
    const e = clean();
    e.offsetCommits = [
      commit(0, 10n),
      commit(1, 5n),
      commit(0, 20n),
      commit(0, 20n),
      commit(1, null), // offsets deleted
      commit(1, 3n),
      commit(2, 9n, 'other'),
      commit(2, 1n, 'other'),
    ];
    expect(checkGuarantees(e)).toEqual([]);
    e.offsetCommits.push(commit(0, 15n)); // a zombie's late commit
    expect(checkGuarantees(e)).toEqual([
      { kind: 'committed-offset-regressed', guarantee: 'G6', id: 'jobs/0', detail: '20 → 15' },
    ]);
  });

  it('decodes offset commits of __consumer_offsets and skips group metadata', () => {
    const str = (s: string) => {
      const b = Buffer.alloc(2 + Buffer.byteLength(s));
      b.writeInt16BE(Buffer.byteLength(s));
      b.write(s, 2);
      return b;
    };
    const int16 = (n: number) => {
      const b = Buffer.alloc(2);
      b.writeInt16BE(n);
      return b;
    };
    const int32 = (n: number) => {
      const b = Buffer.alloc(4);
      b.writeInt32BE(n);
      return b;
    };
    const key = Buffer.concat([int16(1), str('g'), str('jobs'), int32(7)]);
    const value = Buffer.alloc(2 + 8 + 4);
    value.writeInt16BE(3);
    value.writeBigInt64BE(1234n, 2);
    expect(decodeOffsetCommit(key, value)).toEqual({
      group: 'g',
      topic: 'jobs',
      partition: 7,
      offset: 1234n,
    });
    expect(decodeOffsetCommit(key, null)).toEqual({ group: 'g', topic: 'jobs', partition: 7, offset: null });
    expect(decodeOffsetCommit(Buffer.concat([int16(2), str('g')]), value)).toBeUndefined();
  });
});

describe('engine events the verifier counts', () => {
  it('are recognised by the event field the engine logs, not by message text', () => {
    const line = (event: string, msg = 'reworded') =>
      JSON.stringify({ level: 30, time: 1, event, partition: 3, msg });
    expect(engineSignal(line(ENGINE_EVENTS.fenced))).toBe('fenced');
    expect(engineSignal(line(ENGINE_EVENTS.aborted))).toBe('aborted');
    expect(engineSignal(line(ENGINE_EVENTS.joined))).toBe('joined');
    expect(engineSignal(line(ENGINE_EVENTS.batchStarted))).toBe('batch-started');
    expect(engineSignal(line(ENGINE_EVENTS.partitionRefused))).toBe('partition-refused');
    expect(engineSignal(line(ENGINE_EVENTS.dependencyUnavailable))).toBe('dependency-unavailable');
    expect(engineSignal(line(ENGINE_EVENTS.shutdownTimedOut))).toBe('shutdown-timed-out');
    expect(engineSignal(line(ENGINE_EVENTS.shutdownWatchdog))).toBe('shutdown-watchdog');
    expect(engineSignal(line(ENGINE_EVENTS.committed))).toBeUndefined();
    expect(engineSignal('{"msg":"fenced: another instance owns this partition now"}')).toBeUndefined();
    expect(engineSignal('{"invocation":{"fenced":1},"msg":"invocation finished"}')).toBe(
      'invocation-finished',
    );
  });
});

describe('chaos schedule', () => {
  const counts = {
    killEvaluators: 3,
    stopEvaluators: 2,
    pauseEvaluators: 2,
    killSubmit: 1,
    bounceBrokers: 1,
    evaluators: 3,
    submits: 2,
    brokers: 1,
  };
  it('the same seed gives the same schedule; another seed another one', () => {
    expect(chaosSchedule(7, counts)).toEqual(chaosSchedule(7, counts));
    expect(chaosSchedule(7, counts)).not.toEqual(chaosSchedule(8, counts));
  });
  it('has every requested fault, in progress order, on valid targets', () => {
    const s = chaosSchedule(1, counts);
    expect(s).toHaveLength(9);
    expect(s.map((f) => f.at)).toEqual([...s.map((f) => f.at)].sort((a, b) => a - b));
    for (const f of s) {
      expect(f.at).toBeGreaterThan(0);
      expect(f.at).toBeLessThan(1);
      if (f.kind === 'kill-submit') expect(f.target).toBeLessThan(2);
      if (f.kind === 'bounce-broker') expect(f.target).toBe(0);
    }
  });
});

describe('webhook checks (G7)', () => {
  const jobs = [
    { id: 'j1', idempotencyKey: 'k1', status: 'completed' },
    { id: 'j2', idempotencyKey: 'k2', status: 'failed' },
  ];
  const heard = (over: Partial<ReceivedDelivery> = {}): ReceivedDelivery => ({
    endpoint: 'main',
    webhookId: 'msg_1',
    timestampS: 1000,
    arrivedAt: 1_000_000,
    jobId: 'j1',
    eventType: 'evaluation.completed',
    signatureOk: true,
    answered: 204,
    ...over,
  });
  const clean = () => ({
    jobs,
    received: [
      heard({ answered: 429 }), // a retry after a 429, same id: fine
      heard({ arrivedAt: 1_000_500 }),
      heard({ arrivedAt: 1_000_900 }), // a duplicate after a crash, same id: fine
      heard({ webhookId: 'msg_2', jobId: 'j2', eventType: 'evaluation.failed' }),
      heard({ endpoint: 'gone', webhookId: 'msg_3', answered: 410, timestampS: 1000 }),
    ],
    goneDisabledAt: 1_000_000,
    inFlightGraceMs: 20_000,
  });

  it('a clean run has no violation, and counts duplicates by id', () => {
    const { violations, figures } = checkWebhooks(clean());
    expect(violations).toEqual([]);
    expect(figures).toMatchObject({ deliveries: 5, distinctIds: 3, duplicates: 1, notAcknowledged: 2 });
  });

  it('reports every planted violation', () => {
    const e = clean();
    e.received[3] = heard({ webhookId: 'msg_2', jobId: 'j2', eventType: 'evaluation.failed', answered: 500 });
    e.received.push(heard({ webhookId: 'msg_9' })); // a second id for j1
    e.received.push(heard({ webhookId: 'msg_1', signatureOk: false }));
    e.received.push(heard({ webhookId: 'msg_4', jobId: 'j2', eventType: 'evaluation.completed' }));
    e.received.push(heard({ endpoint: 'gone', webhookId: 'msg_5', answered: 410, timestampS: 1021 }));
    const { violations, figures } = checkWebhooks(e);
    expect(new Set(violations.map((v) => v.kind))).toEqual(
      new Set([
        'webhook-missing',
        'webhook-ids-differ',
        'webhook-bad-signature',
        'webhook-wrong-event',
        'webhook-after-disable',
      ]),
    );
    expect(violations.find((v) => v.kind === 'webhook-missing')?.id).toBe('j2');
    expect(figures).toMatchObject({ jobsMissingDelivery: 1, badSignatures: 1, deliveriesAfterDisable: 1 });
  });

  it('an attempt within the lease after the disable was in flight: not a violation', () => {
    const e = clean();
    e.received.push(
      heard({
        endpoint: 'gone',
        webhookId: 'msg_6',
        jobId: 'j2',
        eventType: 'evaluation.failed',
        answered: 410,
        timestampS: 1019,
      }),
    );
    expect(checkWebhooks(e).violations).toEqual([]);
  });
});
