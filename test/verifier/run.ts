// The exactly-once verifier, modelled on Apache Kafka's transactions system test: real submit and
// evaluate processes on the real stack, a client that drives jobs over HTTP, faults injected while it
// runs, then an independent check of G1–G6. The stages live in their own modules:
//   stack.ts (stack, database, topics, outage proxy, metered provider) → processes.ts (the fleet and
//   the engine events it logs) → driver.ts (the client) with faults.ts firing on its progress →
//   drain.ts → evidence.ts + checks.ts; with --webhooks (the default) webhook-stage.ts adds the
//   receiver, notify invocations and the receiver's faults, and checks G7 (webhook-checks.ts).

import { createClient } from '../../lib/db/api-clients.ts';
import { closeDatabase, createDatabase } from '../../lib/db/database.ts';
import { checkGuarantees, countByKind } from './checks.ts';
import { drain } from './drain.ts';
import { Driver } from './driver.ts';
import { collectEvidence } from './evidence.ts';
import { FaultInjector } from './faults.ts';
import { countKinds, log, retrying, type VerifyOptions } from './options.ts';
import { Fleet } from './processes.ts';
import { chaosSchedule, seededRandom } from './schedule.ts';
import { prepareStack } from './stack.ts';
import { WebhookStage } from './webhook-stage.ts';

export type { VerifyOptions } from './options.ts';

export async function verify(o: VerifyOptions) {
  const started = Date.now();
  const schedule = chaosSchedule(o.seed, {
    killEvaluators: o.killEvaluators,
    stopEvaluators: o.stopEvaluators,
    pauseEvaluators: o.pauseEvaluators,
    killSubmit: o.killSubmit,
    bounceBrokers: o.bounceBrokers,
    dbOutages: o.dbOutages,
    addPartitions: o.addPartitions,
    deleteOffsets: o.deleteOffsets,
    oversizeResults: o.oversizeResults,
    twinSubmits: o.twinSubmits,
    killNotifiers: o.webhooks ? o.killNotifiers : 0,
    receiverOutages: o.webhooks ? o.receiverOutages : 0,
    receiver429s: o.webhooks ? o.receiver429s : 0,
    receiverGone: o.webhooks ? o.receiverGone : 0,
    notifiers: o.notifiers,
    evaluators: o.evaluators,
    submits: o.submits,
    brokers: o.brokers,
  });
  const rs = await prepareStack(o);
  log(
    `${o.jobs} jobs, ${o.evaluators} evaluators, ${o.submits} submit, ${o.brokers} broker(s), mode ${o.unsafe ?? 'exactly-once'}, provider ${o.provider}`,
  );
  log(
    `schedule (seed ${o.seed}): ${schedule.map((f) => `${f.kind}#${f.target}@${Math.round(f.at * 100)}%`).join(' ') || 'no faults'}`,
  );
  const db = createDatabase(rs.proxiedDbUrl, { poolSize: 2 });
  const fleet = new Fleet(rs.env, rs.run, seededRandom(o.seed ^ 0x5eed), {
    ...o,
    notifiers: o.webhooks ? o.notifiers : 0,
  });
  const webhooks = o.webhooks ? new WebhookStage(o) : undefined;
  const faults = new FaultInjector(o, rs, fleet, db, webhooks);
  try {
    const client = await retrying('creating the API client', () => createClient(db, 'verifier'));
    await webhooks?.start();
    await fleet.start();
    await webhooks?.register(() => `http://127.0.0.1:${fleet.liveSubmitPort()}`, client.apiKey);
    const driver = new Driver(o, rs.run, fleet, client.apiKey);
    await driver.upload();
    await driver.injectPoison(rs.kafka, rs.topics.jobs);

    const pending = [...schedule];
    const inFlight: Promise<void>[] = [];
    const fire = (accepted: number) => {
      while (pending.length && accepted >= pending[0]!.at * o.jobs)
        inFlight.push(faults.apply(pending.shift()!));
    };
    let acceptedSoFar = 0;
    const progress = setInterval(() => {
      log(
        `accepted ${acceptedSoFar}/${o.jobs} · faults ${faults.applied.length}/${schedule.length} · invocations ${fleet.counters.invocations} · fenced ${fleet.counters.fenced}`,
      );
    }, 5000);
    const driven = await driver.drive((n) => {
      acceptedSoFar = n;
      fire(n);
    });
    for (const f of pending.splice(0)) inFlight.push(faults.apply(f));
    await Promise.all(inFlight);
    clearInterval(progress);
    log(
      `all ${o.jobs} jobs submitted (${driven.accepted.size} accepted, ${driven.gaveUp} given up); draining`,
    );

    const acceptedIds = () => [...new Set([...driven.accepted.values()].flatMap((a) => a.ids))];
    await drain({
      dbUrl: rs.proxiedDbUrl,
      acceptedIds,
      since: Date.now(),
      timeoutMs: o.drainTimeoutMs,
      fleet,
      // the compressed retry schedule spans about 2 min: that much at least for what an outage postponed
      settle:
        webhooks &&
        ((deadline) => webhooks.settle(rs.proxiedDbUrl, Math.max(deadline, Date.now() + 150_000))),
    });

    log('checking G1–G6 with fresh read_committed consumers and SQL');
    const c = await collectEvidence({
      db,
      dbUrl: rs.dbUrl,
      kafka: rs.kafka,
      topics: rs.topics,
      group: rs.group,
      driven,
      poisonMarkers: driver.poisonMarkers,
    });
    const hooks = webhooks && (await webhooks.check(rs.dbUrl, c.jobs));
    const violations = [...checkGuarantees(c.evidence), ...(hooks?.violations ?? [])];
    const doomedIds = new Set(c.evidence.doomedJobIds);
    const completed = c.jobs.filter((j) => j.status === 'completed' && !doomedIds.has(j.id)).length;
    const durationS = (Date.now() - started) / 1000;
    const calls = rs.provider?.calls;
    const paid = calls ? Object.values(calls).reduce((a, b) => a + b, 0) : undefined;
    const needed = c.resultRows
      .filter((r) => r.outcome === 'completed' && !doomedIds.has(r.jobId))
      .reduce((sum, r) => sum + storedCalls(r.provenance), 0);
    const report = {
      run: rs.run,
      seed: o.seed,
      mode: o.unsafe ?? 'exactly-once',
      brokers: o.brokers,
      jobs: o.jobs,
      accepted: driven.accepted.size,
      gaveUp: driven.gaveUp,
      requests: driven.requests,
      answers: driven.answers,
      completed,
      failed: c.jobs.filter((j) => j.status === 'failed').length,
      givenUp: c.evidence.doomedJobIds.length,
      resultEvents: c.eventCount,
      dlqRecords: c.dlqCount,
      duplicateRequestRecords: c.duplicateRequestRecords,
      offsetCommits: c.offsetCommits,
      faults: countKinds(faults.applied.map((a) => a.kind)),
      faultNotes: faults.notes,
      provider: o.provider,
      // calls paid ÷ calls the stored evaluations needed (their provenance counts each step's attempts,
      // repair passes included): 1.00 when every completed job was evaluated exactly once
      providerCalls: paid ?? 'n/a',
      providerCallsOfStoredResults: needed,
      providerCallsPerCompletedJob:
        paid !== undefined && needed > 0 ? Number((paid / needed).toFixed(3)) : 'n/a',
      invocations: fleet.counters.invocations,
      evaluatorFailures: fleet.counters.evaluatorFailures,
      crashes: fleet.counters.crashes,
      stuckShutdowns: fleet.counters.stuckShutdowns,
      fencedTransactions: fleet.counters.fencedLines,
      transactionErrors: fleet.counters.txErrors,
      refusedPartitions: fleet.counters.refusedPartitions,
      dependencyUnavailable: fleet.counters.dependencyUnavailable,
      sweptJobs: fleet.counters.swept,
      notifyInvocations: fleet.counters.notifyInvocations,
      notifyFailures: fleet.counters.notifyFailures,
      webhooks: hooks?.report ?? 'off (--no-webhooks)',
      violations: violations.length,
      violationsByKind: countByKind(violations),
      examples: violations.slice(0, 5),
      durationS: Number(durationS.toFixed(1)),
      jobsPerSec: Number((driven.accepted.size / durationS).toFixed(1)),
    };
    // A run that accepted little or skipped faults proves little: say so, and fail.
    const sane = driven.accepted.size >= 0.95 * o.jobs && faults.applied.length === schedule.length;
    return { report: { ...report, sane }, violations };
  } finally {
    await fleet.stopAll();
    await webhooks?.close();
    await closeDatabase(db).catch(() => {});
    await rs.teardown();
  }
}

/** Provider calls one stored evaluation made: the attempts its provenance records per step (3 if absent). */
function storedCalls(provenance: unknown): number {
  const attempts = (provenance as { attempts?: Record<string, number> } | null)?.attempts;
  if (!attempts) return 3;
  return Object.values(attempts).reduce((a, b) => a + (Number(b) || 0), 0);
}
