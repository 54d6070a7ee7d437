// Thin event payloads (Standard Webhooks' type/timestamp/data envelope): ids, status and links only.
// A receiver fetches the result itself with its API key, so no evaluation content leaves by webhook.

export const eventTypes = ['evaluation.completed', 'evaluation.failed'] as const;
export type EventType = (typeof eventTypes)[number];

export interface EvaluationEventData {
  job_id: string;
  status: 'completed' | 'failed';
  position_id?: string;
  position_version?: number;
  links: { result: string; position?: string; ranking?: string };
}

export interface EventPayload {
  type: EventType;
  timestamp: string;
  data: EvaluationEventData;
}

export function evaluationEvent(
  o: {
    jobId: string;
    status: 'completed' | 'failed';
    positionId?: string | null;
    positionVersion?: number | null;
    at: Date;
  },
  baseUrl = '',
): EventPayload {
  const base = baseUrl.replace(/\/$/, '');
  const position = o.positionId ?? undefined;
  return {
    type: o.status === 'completed' ? 'evaluation.completed' : 'evaluation.failed',
    timestamp: o.at.toISOString(),
    data: {
      job_id: o.jobId,
      status: o.status,
      ...(position ? { position_id: position, position_version: o.positionVersion ?? undefined } : {}),
      links: {
        result: `${base}/v1/result/${o.jobId}`,
        ...(position
          ? {
              position: `${base}/v1/positions/${position}`,
              ranking: `${base}/v1/positions/${position}/ranking`,
            }
          : {}),
      },
    },
  };
}
