// The records this service puts on its topics. A result event is built only from the stored row, so
// every emission of a job's outcome (first time or replay) carries the same content (G3).
import { z } from 'zod';
import type { ResultRow } from '../db/effects.ts';

export const jobRequestSchema = z.strictObject({ v: z.literal(1), job_id: z.uuid() });
export type JobRequest = z.infer<typeof jobRequestSchema>;

export function jobRequestRecord(topic: string, jobId: string) {
  return { topic, key: jobId, value: JSON.stringify({ v: 1, job_id: jobId } satisfies JobRequest) };
}

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
  };
  error?: { code: string; message: string };
  provenance: Record<string, unknown>;
}

export function resultEvent(row: ResultRow): ResultEvent {
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
          },
        }
      : { error: { code: row.errorCode!, message: row.errorMessage! } }),
    provenance: row.provenance,
  };
}

export function resultEventRecord(topic: string, row: ResultRow) {
  return { topic, key: row.jobId, value: JSON.stringify(resultEvent(row)) };
}
