// The job request record on the jobs topic: key = job id, value = {"v":1,"job_id":…}. Submit (and the
// sweeper) write it; the evaluator parses it. The record carries no document: the job's row holds it.
import { z } from 'zod';

export const jobRequestSchema = z.strictObject({ v: z.literal(1), job_id: z.uuid() });
export type JobRequest = z.infer<typeof jobRequestSchema>;

export function jobRequestRecord(topic: string, jobId: string) {
  return { topic, key: jobId, value: JSON.stringify({ v: 1, job_id: jobId } satisfies JobRequest) };
}

/** A record read from the jobs topic: its job id, or why it is not a job request (it goes to the DLQ). */
export function parseJobRequest(record: {
  key?: Buffer | null;
  value?: Buffer | null;
}): { jobId: string } | { error: string } {
  try {
    const value = jobRequestSchema.parse(JSON.parse(record.value?.toString() ?? ''));
    if (record.key && record.key.toString() !== value.job_id)
      return { error: 'record key and job_id differ' };
    return { jobId: value.job_id };
  } catch (err) {
    return { error: `not a job request: ${err instanceof Error ? err.message.slice(0, 300) : String(err)}` };
  }
}
