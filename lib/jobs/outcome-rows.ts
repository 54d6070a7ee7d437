// The outcome rows the evaluator stores (lib/db/effects.ts NewOutcome) and the DLQ decision a stored
// row carries: built here, so the handler only decides which one a job gets.
import type { NewOutcome, ResultRow } from '../db/effects.ts';
import { codes } from '../errors.ts';
import type { EvaluationResult, Provider } from '../evaluation/types.ts';
import type { DlqDecision } from '../kafka/types.ts';

export function completed(
  jobId: string,
  r: EvaluationResult,
  attempt: number,
  source: { sourcePartition: number; sourceOffset: bigint },
): NewOutcome {
  return {
    jobId,
    outcome: 'completed',
    cvMatchRate: r.cvMatchRate.toFixed(2),
    cvFeedback: r.cvFeedback,
    projectScore: r.projectScore.toFixed(1),
    projectFeedback: r.projectFeedback,
    overallSummary: r.overallSummary,
    cvScores: r.cvScores,
    projectScores: r.projectScores,
    // the verified quotes and the flags travel with the provenance (the result API returns them)
    provenance: { ...r.provenance, jobAttempts: attempt, evidenceQuotes: r.evidence, flags: r.flags },
    ...source,
  };
}

/** The DLQ decision a stored outcome carries: only jobs that gave up after their last attempt. */
export function deadLetterOf(row: ResultRow, offset: string): DlqDecision | undefined {
  const provenance = row.provenance as { deadLettered?: boolean; jobAttempts?: number } | null;
  if (row.outcome !== 'failed' || !provenance?.deadLettered) return undefined;
  return {
    offset,
    code: row.errorCode ?? codes.EVALUATION_FAILED,
    message: row.errorMessage ?? '',
    attempts: provenance.jobAttempts,
  };
}

export function failed(
  jobId: string,
  code: string,
  message: string,
  attempt: number,
  provider: Provider,
  source: { sourcePartition: number; sourceOffset: bigint },
  /** deadLettered: the job gave up and its request record goes to the DLQ (again on every replay) */
  flags: { deadLettered?: boolean } = {},
): NewOutcome {
  const { name, model, kind } = provider;
  return {
    jobId,
    outcome: 'failed',
    errorCode: code,
    errorMessage: message.slice(0, 2000),
    provenance: { provider: name, model, kind, jobAttempts: attempt, ...flags },
    ...source,
  };
}
