// The result event on the results topic (key = job id), also the body of GET /v1/result/{id}. It is
// built only from the stored outcome, so every emission of a job's outcome (first time or replay)
// carries the same content (G3).

/** Every result says so (issue 13): the scores are an aid to a person, never a decision. */
export const HUMAN_REVIEW_NOTICE =
  'Automated assessment: a human must review it before any decision about the candidate.';

export interface ResultEvent {
  v: 1;
  job_id: string;
  notice: string;
  status: 'completed' | 'failed';
  result?: {
    cv_match_rate: number;
    cv_feedback: string;
    project_score: number;
    project_feedback: string;
    overall_summary: string;
    evidence?: unknown;
    flags?: unknown;
  };
  error?: { code: string; message: string };
  provenance: Record<string, unknown>;
}

/** A stored outcome, as the results table holds it (numerics arrive as strings). */
export interface StoredOutcome {
  jobId: string;
  outcome: 'completed' | 'failed';
  cvMatchRate: string | null;
  cvFeedback: string | null;
  projectScore: string | null;
  projectFeedback: string | null;
  overallSummary: string | null;
  errorCode: string | null;
  errorMessage: string | null;
  provenance: Record<string, unknown>;
}

export function resultEvent(row: StoredOutcome): ResultEvent {
  // The evaluator stores the verified quotes and flags with the provenance; clients read them in the result.
  const { evidenceQuotes, flags, ...provenance } = row.provenance as Record<string, unknown>;
  return {
    v: 1,
    job_id: row.jobId,
    notice: HUMAN_REVIEW_NOTICE,
    status: row.outcome,
    ...(row.outcome === 'completed'
      ? {
          result: {
            cv_match_rate: Number(row.cvMatchRate),
            cv_feedback: row.cvFeedback!,
            project_score: Number(row.projectScore),
            project_feedback: row.projectFeedback!,
            overall_summary: row.overallSummary!,
            ...(evidenceQuotes ? { evidence: evidenceQuotes } : {}),
            ...(flags ? { flags } : {}),
          },
        }
      : { error: { code: row.errorCode!, message: row.errorMessage! } }),
    provenance,
  };
}

export function resultEventRecord(topic: string, row: StoredOutcome) {
  return { topic, key: row.jobId, value: JSON.stringify(resultEvent(row)) };
}

/**
 * The results topic's settings. An erased job's result is removed from Kafka by a tombstone (a null value
 * under its key), which only compaction acts on: time retention alone would keep the event, with its
 * feedback and quotes from the CV, for the full retention. Compaction runs on closed segments, so they
 * close within an hour and a segment holding a tombstone is compacted within an hour after that; time
 * retention still deletes what is older than the topic's retention.
 */
export const RESULTS_TOPIC_SETTINGS: Record<string, string> = {
  'cleanup.policy': 'compact,delete',
  'segment.ms': String(60 * 60_000),
  'max.compaction.lag.ms': String(60 * 60_000),
};
