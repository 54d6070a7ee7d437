// The job request record on the jobs topic: key = job id, value = {"v":1,"job_id":…}. Submit (and the
// sweeper) write it; the evaluator parses it. The record carries no document: the job's row holds it.
import { z } from 'zod';

export const jobRequestSchema = z.strictObject({ v: z.literal(1), job_id: z.uuid() });
export type JobRequest = z.infer<typeof jobRequestSchema>;

export function jobRequestRecord(topic: string, jobId: string) {
  return { topic, key: jobId, value: JSON.stringify({ v: 1, job_id: jobId } satisfies JobRequest) };
}
