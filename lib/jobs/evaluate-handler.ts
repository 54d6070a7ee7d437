// The evaluator's batch handler (docs/design.md, evaluate protocol steps 2, 3 and 5): runs on one partition's
// request records, outside any Kafka transaction; returns the result events and DLQ decisions the engine then
// commits in one transaction with the offset.
//
// For each request record (key = job id):
//   - a stored outcome whose source is this very record → a replay (its Kafka transaction never
//     committed): emit the stored outcome again, do not call the provider;
//   - a stored outcome from another record → a duplicate request: emit nothing;
//   - malformed record or unknown job → DLQ;
//   - otherwise evaluate, store the outcome tagged with (partition, offset), emit it.
// Attempts are counted in PostgreSQL. A transient failure is retried (the engine re-runs the record)
// until EVALUATE_MAX_ATTEMPTS, then the job fails with the reason and the record goes to the DLQ.
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import pLimit from 'p-limit';
import type { Database } from '../db/database.ts';
import {
  type ClaimRequest,
  claimProviderCalls,
  giveBackAttempts,
  loadJobs,
  loadJobTexts,
  loadResults,
  type NewOutcome,
  type ResultRow,
  recordOutcomes,
  releaseProviderClaim,
} from '../db/effects.ts';
import { erasedAmong } from '../db/erasure.ts';
import { AppError, codes } from '../errors.ts';
import { defaultDocuments } from '../evaluation/documents/index.ts';
import { CannotScreenError, evaluate, InvalidAnswerError } from '../evaluation/pipeline.ts';
import { InvalidRubricError } from '../evaluation/rubric.ts';
import type { Provider } from '../evaluation/types.ts';
import { RecordError } from '../kafka/errors.ts';
import type { BatchHandler, DlqDecision, InputRecord, OutputRecord, PartitionBatch } from '../kafka/types.ts';
import { parseJobRequest } from '../records/job-request.ts';
import { resultEventRecord } from '../records/result-event.ts';
import type { Logger } from '../telemetry/logger.ts';
import { telemetryMetrics } from '../telemetry/metrics.ts';
import { contextFromHeaders, withSpan } from '../telemetry/tracing.ts';
import { batchedLoader } from '../util/batched.ts';
import { BoundedMap } from '../util/bounded-memo.ts';
import { groupWriter } from '../util/group-writer.ts';
import { attemptLedger } from './attempt-ledger.ts';
import { databaseOutageIsNotPoison } from './database-outage.ts';
import { completed, deadLetterOf, failed } from './outcome-rows.ts';
import { byteBudget } from './text-budget.ts';

/**
 * 16 MiB of documents: ~8 jobs at the extraction limits, thousands of ordinary CVs. Held as JavaScript
 * strings that is at most 32 MiB (a string with one character outside Latin-1 takes two bytes for each),
 * well inside the functions' 256 MB heap cap (lib/util/function-runtime.ts).
 */
const DEFAULT_TEXT_BUDGET_BYTES = 16 * 1024 * 1024;

const MAX_UNSTORED = 10_000;

/** Outcomes are stored in groups as evaluations end, so a killed invocation loses little that was paid for. */
const STORE_GROUP = 16;
const STORE_MAX_DELAY_MS = 100;

/** How long a provider-call claim holds its job (an evaluation that outlasts it may be paid twice). */
const DEFAULT_CLAIM_LEASE_MS = 30_000;
const CLAIM_POLL_MS = 200;

export interface EvaluateHandlerOptions {
  db: Database;
  provider: Provider;
  resultsTopic: string;
  maxAttempts: number;
  concurrency?: number;
  /** most bytes of documents held at once, over all batches in flight (lib/jobs/text-budget.ts) */
  textBudgetBytes?: number;
  logger?: Logger;
  /** outcomes are stored in groups of this many as evaluations end (default 16) … */
  storeGroupSize?: number;
  /** … or once the oldest waited this long (default 100 ms) */
  storeMaxDelayMs?: number;
  /** how long a provider-call claim holds its job against another owner (default 30 s) */
  claimLeaseMs?: number;
  /** test seam: observe each provider evaluation */
  onEvaluate?: (jobId: string) => void;
  /** test seam: runs just before a job's provider call is claimed */
  beforeClaim?: (jobId: string) => Promise<void>;
}

export interface HandlerStats {
  evaluated: number;
  replayed: number;
  duplicates: number;
  failed: number;
  poison: number;
  /** claims that found the job held by another evaluation and waited for its outcome */
  claimWaits: number;
  /** wall time per stage, summed over batches (provider: summed over jobs, which overlap) */
  stageMs: { load: number; provider: number; store: number };
}

export function createEvaluateHandler(o: EvaluateHandlerOptions): BatchHandler & { stats: HandlerStats } {
  const limit = pLimit(o.concurrency ?? 16);
  const textBudget = byteBudget(o.textBudgetBytes ?? DEFAULT_TEXT_BUDGET_BYTES);
  const loadTexts = batchedLoader((ids: string[]) => loadJobTexts(o.db, ids));
  // the evaluations that start together (their texts came in one load) claim in one statement
  const claim = batchedLoader((requests: ClaimRequest[]) =>
    claimProviderCalls(o.db, requests, o.claimLeaseMs ?? DEFAULT_CLAIM_LEASE_MS),
  );
  const stats: HandlerStats = {
    evaluated: 0,
    replayed: 0,
    duplicates: 0,
    failed: 0,
    poison: 0,
    claimWaits: 0,
    stageMs: { load: 0, provider: 0, store: 0 },
  };

  // Outcomes evaluated but not yet stored (the write failed): a retry stores them instead of paying the
  // provider again. Bounded: the oldest are forgotten first.
  const unstored = new BoundedMap<string, NewOutcome>(MAX_UNSTORED);

  // Claims sent but not acknowledged (the database went away): job id → the claim's token. Bounded.
  const claimTokens = new BoundedMap<string, string>(MAX_UNSTORED);

  // Attempts counted but not yet spent by an evaluation: a retry of the same record reuses them.
  const ledger = attemptLedger(o.db, MAX_UNSTORED);

  const handle = async ({ records, partition, signal }: PartitionBatch) => {
    const outputs: OutputRecord[] = [];
    const dlq: DlqDecision[] = [];
    const requests: { record: InputRecord; jobId: string }[] = [];
    for (const record of records) {
      const parsed = parseJobRequest(record);
      if ('error' in parsed) {
        stats.poison += 1;
        telemetryMetrics().jobs.add(1, { outcome: 'poison' });
        dlq.push({ offset: record.offset, code: codes.MALFORMED_RECORD, message: parsed.error });
      } else {
        requests.push({ record, jobId: parsed.jobId });
      }
    }
    const ids = [...new Set(requests.map((r) => r.jobId))];
    const loadStarted = performance.now();
    const [jobs, stored] = await Promise.all([loadJobs(o.db, ids), loadResults(o.db, ids)]);
    // Issue 13 (erasure): a job erased on request or by retention is skipped, not sent to the DLQ.
    const erased = await erasedAmong(
      o.db,
      ids.filter((id) => !jobs.has(id) && !stored.has(id)),
    );

    // An outcome already stored is this record's (a replay: emitted again, with the DLQ record of a job
    // that gave up, both lost with the transaction that first carried them) or another record's (a
    // duplicate request: nothing).
    const replayOrSkip = (existing: ResultRow, record: InputRecord) => {
      if (existing.sourcePartition === partition && existing.sourceOffset === BigInt(record.offset)) {
        stats.replayed += 1;
        telemetryMetrics().jobs.add(1, { outcome: 'replayed' });
        outputs.push(resultEventRecord(o.resultsTopic, existing));
        const gaveUp = deadLetterOf(existing, record.offset);
        if (gaveUp) dlq.push(gaveUp);
      } else {
        stats.duplicates += 1;
        telemetryMetrics().jobs.add(1, { outcome: 'duplicate' });
      }
    };

    const todo: { record: InputRecord; jobId: string }[] = [];
    /** refused a provider call: their outcome was stored after this batch read the results */
    const storedMeanwhile: { record: InputRecord; jobId: string }[] = [];
    const claimed = new Set<string>();
    for (const req of requests) {
      const existing = stored.get(req.jobId);
      if (existing) {
        replayOrSkip(existing, req.record);
        continue;
      }
      if (erased.has(req.jobId)) continue;
      if (!jobs.has(req.jobId)) {
        stats.poison += 1;
        telemetryMetrics().jobs.add(1, { outcome: 'poison' });
        dlq.push({ offset: req.record.offset, code: codes.UNKNOWN_JOB, message: `no job ${req.jobId}` });
        continue;
      }
      // The same job twice in one batch: the first record handles it, the later one is a duplicate.
      if (claimed.has(req.jobId)) {
        stats.duplicates += 1;
        telemetryMetrics().jobs.add(1, { outcome: 'duplicate' });
        continue;
      }
      claimed.add(req.jobId);
      todo.push(req);
    }

    /** jobs whose evaluation got as far as claiming the provider call (and was not aborted waiting for it) */
    const reachedClaim = new Set<string>();
    // Evaluated before, but its outcome never made it to the database: that one is stored, uncounted.
    const unsavedOf = (t: { record: InputRecord; jobId: string }) => {
      const unsaved = unstored.get(t.jobId);
      const same = unsaved?.sourcePartition === partition && unsaved.sourceOffset === BigInt(t.record.offset);
      return same ? unsaved : undefined;
    };
    const attempts = await ledger.start(partition, todo, (t) => unsavedOf(t) !== undefined);
    stats.stageMs.load += performance.now() - loadStarted;
    const outcomes: NewOutcome[] = [];
    const winners = new Map<string, ResultRow>();
    // Stored while the batch is still being evaluated (the replay rule covers an outcome stored under a
    // transaction that then never commits); what is not yet stored is remembered in `unstored`.
    const store = groupWriter<NewOutcome>(
      async (group) => {
        const storeStarted = performance.now();
        const won = await recordOutcomes(o.db, group);
        stats.stageMs.store += performance.now() - storeStarted;
        for (const outcome of group) unstored.delete(outcome.jobId);
        for (const [jobId, row] of won) winners.set(jobId, row);
      },
      { groupSize: o.storeGroupSize ?? STORE_GROUP, maxDelayMs: o.storeMaxDelayMs ?? STORE_MAX_DELAY_MS },
    );
    const keep = (outcome: NewOutcome) => {
      outcomes.push(outcome);
      unstored.set(outcome.jobId, outcome);
      store.add(outcome);
    };
    const transient: { offset: string; err: unknown }[] = [];
    // Another evaluation of this job holds the claim — the partition moved while its previous owner
    // evaluated it, or moved back to this process — so wait for its outcome (or for its lease to end,
    // if its holder died) rather than pay the provider a second time.
    const claimWhenFree = async (jobId: string, token: string) => {
      for (;;) {
        const answer = await claim({ id: jobId, token });
        if (!answer) throw new Error(`the claim of job ${jobId} got no answer`);
        if (answer !== 'busy') return answer;
        if (signal?.aborted) return 'aborted';
        stats.claimWaits += 1;
        await sleep(CLAIM_POLL_MS);
      }
    };
    async function evaluateOne(
      t: { record: InputRecord; jobId: string },
      attempt: number,
      source: { sourcePartition: number; sourceOffset: bigint },
    ) {
      const job = await loadTexts(t.jobId);
      if (!job) throw new Error(`job ${t.jobId} vanished while its batch was handled`);
      // checked again: the wait for the document budget can outlast the partition
      if (signal?.aborted) return;
      reachedClaim.add(t.jobId);
      // Counted before the call; refused when the outcome was stored meanwhile (a new owner did it).
      // The token outlives a claim that failed, so its retry is not counted twice.
      const token = claimTokens.get(t.jobId) ?? randomUUID();
      claimTokens.set(t.jobId, token);
      await o.beforeClaim?.(t.jobId);
      const claim = await claimWhenFree(t.jobId, token);
      // aborted while another evaluation held the claim: no call was made, its attempt is given back below
      if (claim === 'aborted') reachedClaim.delete(t.jobId);
      else ledger.spent(t.jobId);
      claimTokens.delete(t.jobId);
      if (claim === 'stored') storedMeanwhile.push(t);
      if (claim !== 'claimed') return;
      const evalStarted = performance.now();
      try {
        o.onEvaluate?.(t.jobId);
        // The job's evaluation continues the trace its HTTP request started (context from the headers).
        const result = await withSpan(
          'evaluate job',
          {
            parent: contextFromHeaders(t.record.headers),
            attributes: { 'cv.job_id': t.jobId, 'cv.attempt': attempt },
          },
          () =>
            evaluate(
              {
                cvText: job.cvText,
                projectText: job.projectText,
                jobDescription: job.jobDescription ?? defaultDocuments.jobDescription,
                studyCaseBrief: job.studyCaseBrief ?? defaultDocuments.studyCaseBrief,
                scoringRubric: job.scoringRubric ?? defaultDocuments.scoringRubric,
                overridden: {
                  jobDescription: job.jobDescription != null,
                  studyCaseBrief: job.studyCaseBrief != null,
                  scoringRubric: job.scoringRubric != null,
                },
              },
              o.provider,
            ),
        );
        const evalMs = performance.now() - evalStarted;
        stats.stageMs.provider += evalMs;
        telemetryMetrics().evaluationDuration.record(evalMs, { provider: o.provider.name });
        stats.evaluated += 1;
        keep(completed(t.jobId, result, attempt, source));
      } catch (err) {
        const code = err instanceof AppError ? err.code : codes.EVALUATION_FAILED;
        const message = err instanceof Error ? err.message : String(err);
        // no retry can change these: the answers stayed invalid, or the inputs cannot be screened
        if (
          err instanceof InvalidAnswerError ||
          err instanceof CannotScreenError ||
          err instanceof InvalidRubricError
        ) {
          stats.failed += 1;
          keep(failed(t.jobId, code, message, attempt, o.provider, source));
        } else if (attempt >= o.maxAttempts) {
          stats.failed += 1;
          keep(
            failed(
              t.jobId,
              code,
              `${message} (gave up after ${attempt} attempts)`,
              attempt,
              o.provider,
              source,
              { deadLettered: true },
            ),
          );
        } else {
          o.logger?.warn({ job_id: t.jobId, attempt, err }, 'evaluation failed; will retry');
          transient.push({ offset: t.record.offset, err });
          // the retry claims at once; if this fails, the lease runs out on its own
          await releaseProviderClaim(o.db, t.jobId, token).catch(() => {});
        }
      }
    }

    // Every evaluation runs to its end even when another one's database call fails, so that what was
    // paid for is remembered (below) before the error is raised.
    const settled = await Promise.allSettled(
      todo.map((t) =>
        limit(async () => {
          const attempt = attempts.get(t.jobId) ?? 1;
          const source = { sourcePartition: partition, sourceOffset: BigInt(t.record.offset) };
          const unsaved = unsavedOf(t);
          if (unsaved) return keep(unsaved);
          // The rebalance already decided this batch will not be committed: do not pay for it.
          if (signal?.aborted) return;
          // the job's documents are in memory only while it is evaluated, within the shared budget; every
          // way out of this task (a refused claim, a database error) gives its share back
          const release = await textBudget.take(jobs.get(t.jobId)!.textBytes);
          try {
            await evaluateOne(t, attempt, source);
          } finally {
            release();
          }
        }),
      ),
    );

    // A rebalance stopped the batch: the jobs it never got to keep their attempts (best effort; routine,
    // it must not bring a job nearer to giving up). Only attempts it holds: an unsaved outcome's, none.
    if (signal?.aborted) {
      const held = (t: { jobId: string }) => attempts.has(t.jobId) && !reachedClaim.has(t.jobId);
      const untouched = todo.filter(held).map((t) => t.jobId);
      await giveBackAttempts(o.db, untouched).then(
        () => untouched.forEach(ledger.spent),
        () => {},
      );
    }
    // Stored first, even when some records must be retried: their siblings are then replays, not
    // re-evaluations, when the engine runs the records again.
    const storeFailure = await store.finish().then(
      () => undefined,
      (err: unknown) => ({ err }),
    );
    const failure = settled.find((r) => r.status === 'rejected');
    if (failure) throw failure.reason;
    if (storeFailure) throw storeFailure.err;
    for (const outcome of outcomes) {
      const row = winners.get(outcome.jobId);
      if (row && row.sourcePartition === partition && row.sourceOffset === outcome.sourceOffset) {
        outputs.push(resultEventRecord(o.resultsTopic, row));
        const gaveUp = deadLetterOf(row, String(row.sourceOffset));
        if (gaveUp) dlq.push(gaveUp);
      }
    }
    // Stored between our read and our claim, typically by the partition's previous owner, whose
    // transaction then failed: nobody else emits this record's outcome (G3), so we do.
    if (storedMeanwhile.length > 0) {
      const late = await loadResults(
        o.db,
        storedMeanwhile.map((t) => t.jobId),
      );
      for (const t of storedMeanwhile) {
        const row = late.get(t.jobId);
        if (row) replayOrSkip(row, t.record);
      }
    }
    const jobsMetric = telemetryMetrics().jobs;
    for (const outcome of outcomes) jobsMetric.add(1, { outcome: outcome.outcome ?? 'completed' });
    if (transient.length > 0) {
      const first = transient[0]!;
      throw new RecordError(
        first.offset,
        (first.err as AppError).code ?? codes.EVALUATION_FAILED,
        String((first.err as Error).message ?? first.err),
      );
    }
    return { outputs, dlq };
  };
  return Object.assign(databaseOutageIsNotPoison(handle), { stats });
}
