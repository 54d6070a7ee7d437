// Every schema the API validates with and documents: requests, answers and the problem format.
import { z } from '@hono/zod-openapi';
import { jobStatuses } from '../db/schema.ts';
import { apiErrorCodes } from '../errors.ts';

const MAX_TEXT = 100_000;
// biome-ignore lint/suspicious/noControlCharactersInRegex: refusing control characters is the point
const CONTROL = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F]/;
const text = z
  .string()
  .trim()
  .min(1)
  .max(MAX_TEXT)
  .refine((s) => !CONTROL.test(s), { error: 'must not contain NUL or other control characters' });

export const EvaluateBody = z
  .strictObject({
    cv_id: z.uuid(),
    project_id: z.uuid(),
    job_description: text.optional(),
    study_case_brief: text.optional(),
    scoring_rubric: text.optional(),
  })
  .openapi('EvaluateRequest');
export type EvaluateBody = z.infer<typeof EvaluateBody>;

export const IdempotencyHeaders = z.object({
  'idempotency-key': z
    .string()
    .trim()
    .min(1)
    .max(255)
    .regex(/^[\x20-\x7E]+$/, { error: 'printable ASCII only' })
    .openapi({ description: 'IETF draft Idempotency-Key: 1–255 printable ASCII characters, not blank' }),
});

export const Accepted = z.object({ id: z.uuid(), status: z.enum(jobStatuses) }).openapi('Accepted');

/** RFC 9457 problem details; `code` lists every code an API route can answer (lib/errors.ts). */
export const ProblemSchema = z
  .object({
    type: z.string(),
    title: z.string(),
    status: z.number(),
    detail: z.string(),
    code: z.enum(apiErrorCodes),
    request_id: z.string().optional(),
  })
  .openapi('Problem');

const EvidenceByParameter = z.record(
  z.string(),
  z.array(z.object({ quote: z.string(), start: z.number().int(), end: z.number().int() })),
);

export const ResultSchema = z
  .object({
    id: z.uuid(),
    status: z.enum(jobStatuses),
    notice: z.string().openapi({ description: 'a human must review every result before any decision' }),
    error: z.object({ code: z.string(), message: z.string() }).optional(),
    result: z
      .object({
        cv_match_rate: z.number(),
        cv_feedback: z.string(),
        project_score: z.number(),
        project_feedback: z.string(),
        overall_summary: z.string(),
        // Verbatim quotes (offsets into the uploaded document's text) behind each parameter's score.
        evidence: z
          .object({ cv: EvidenceByParameter, project: EvidenceByParameter })
          .optional()
          .openapi({ description: 'the verified quotes behind each rubric parameter' }),
        flags: z
          .array(
            z.object({
              code: z.enum([
                'injection_suspected',
                'needs_review',
                'score_without_evidence',
                'quotes_dropped',
                'language_unsupported',
              ]),
              detail: z.string(),
              document: z.enum(['cv', 'project']).optional(),
              parameter: z.string().optional(),
              quote: z.string().optional(),
            }),
          )
          .optional()
          .openapi({ description: 'what a reviewer should look at before trusting the scores' }),
      })
      .optional(),
    provenance: z.record(z.string(), z.unknown()).optional(),
  })
  .openapi('Result');

const UploadedFile = z.object({
  id: z.uuid(),
  filename: z.string(),
  media_type: z.string(),
  size: z.number(),
  sha256: z.string(),
});

export const UploadForm = z.object({
  cv: z.any().openapi({ type: 'string', format: 'binary' }),
  project: z.any().openapi({ type: 'string', format: 'binary' }),
});

export const UploadResponse = z
  .object({
    cv_id: z.uuid(),
    project_id: z.uuid(),
    files: z.object({ cv: UploadedFile, project: UploadedFile }),
  })
  .openapi('UploadResponse');

export const JobsQuery = z.object({
  status: z.enum(jobStatuses).optional(),
  limit: z.coerce.number().int().min(1).max(100).default(20),
  cursor: z.string().optional(),
});

export const JobsPage = z.object({
  items: z.array(
    z.object({
      id: z.uuid(),
      status: z.enum(jobStatuses),
      created_at: z.string(),
      updated_at: z.string(),
    }),
  ),
  next_cursor: z.string().nullable(),
});

/** The problem answers a route documents, by status (any route may answer 500). */
export const problems = (...statuses: number[]) =>
  Object.fromEntries(
    [...statuses, 500].map((s) => [
      s,
      { description: 'problem', content: { 'application/problem+json': { schema: ProblemSchema } } },
    ]),
  );

export const security = [{ bearer: [] as string[] }];
