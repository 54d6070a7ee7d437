// The verifier's own checks must be able to fail: each violation kind is planted and must be reported.
import { describe, expect, it } from 'vitest';
import { checkGuarantees, type Evidence } from '../verifier/checks.ts';
import { chaosSchedule } from '../verifier/schedule.ts';

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
