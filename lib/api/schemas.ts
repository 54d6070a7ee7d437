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
  position_id: z
    .uuid()
    .optional()
    .openapi({ description: 'only the jobs evaluated for this position (any of its versions)' }),
  limit: z.coerce.number().int().min(1).max(100).default(20),
  cursor: z.string().optional(),
});

export const JobsPage = z.object({
  items: z.array(
    z.object({
      id: z.uuid(),
      status: z.enum(jobStatuses),
      position_id: z
        .uuid()
        .nullable()
        .openapi({ description: 'the position the job was evaluated for; null for an ad hoc evaluation' }),
      created_at: z.string(),
      updated_at: z.string(),
    }),
  ),
  next_cursor: z.string().nullable(),
});

/** The problem answers a route documents, by status (any route may answer 431, from the HTTP parser, and 500). */
export const problems = (...statuses: number[]) =>
  Object.fromEntries(
    [...statuses, 431, 500].map((s) => [
      s,
      { description: 'problem', content: { 'application/problem+json': { schema: ProblemSchema } } },
    ]),
  );

export const security = [{ bearer: [] as string[] }];

// Positions, batch evaluations, rankings and webhooks.
const title = z.string().trim().min(1).max(300);
export const PositionCreate = z
  .strictObject({
    title,
    job_description: text.optional().openapi({ description: 'default: the shipped job description' }),
    study_case_brief: text.optional().openapi({ description: 'default: the shipped case-study brief' }),
    scoring_rubric: text.optional().openapi({ description: 'default: the shipped scoring rubric' }),
  })
  .openapi('PositionCreate');
export const PositionPatch = z
  .strictObject({
    title: title.optional(),
    job_description: text.optional(),
    study_case_brief: text.optional(),
    scoring_rubric: text.optional(),
  })
  .openapi('PositionPatch');
export const Position = z
  .object({
    id: z.uuid(),
    version: z.number().int(),
    title: z.string(),
    job_description: z.string(),
    study_case_brief: z.string(),
    scoring_rubric: z.string(),
    archived: z.boolean(),
    created_at: z.string(),
    updated_at: z.string(),
    versions: z
      .array(z.object({ version: z.number().int(), title: z.string(), created_at: z.string() }))
      .optional(),
  })
  .openapi('Position');
export const PositionsQuery = z.object({
  limit: z.coerce.number().int().min(1).max(100).default(20),
  cursor: z.string().optional(),
  include_archived: z.enum(['true', 'false']).default('false'),
});
export const PositionsPage = z.object({ items: z.array(Position), next_cursor: z.string().nullable() });
export const IdParam = z.object({ id: z.string() });

export const BatchBody = z
  .strictObject({
    candidates: z
      .array(z.strictObject({ cv_id: z.uuid(), project_id: z.uuid() }))
      .min(1)
      .max(100),
  })
  .openapi('BatchEvaluationRequest');
export const BatchAccepted = z
  .object({
    batch_id: z.uuid(),
    position_id: z.uuid(),
    position_version: z.number().int(),
    jobs: z.array(
      z.object({ id: z.uuid(), cv_id: z.uuid(), project_id: z.uuid(), status: z.enum(jobStatuses) }),
    ),
  })
  .openapi('BatchAccepted');

export const BulkUploadForm = z.object({
  cv: z.array(z.any().openapi({ type: 'string', format: 'binary' })),
  project: z.array(z.any().openapi({ type: 'string', format: 'binary' })),
});
export const BulkUploadResponse = z
  .object({
    accepted: z.array(z.object({ index: z.number().int(), cv_id: z.uuid(), project_id: z.uuid() })),
    refused: z.array(
      z.object({
        index: z.number().int(),
        field: z.enum(['cv', 'project']),
        filename: z.string(),
        code: z.string(),
        detail: z.string(),
      }),
    ),
  })
  .openapi('BulkUploadResponse');

export const RankingQuery = z.object({
  status: z.enum(jobStatuses).optional(),
  min_score: z.coerce.number().min(0).max(100).optional(),
  version: z.coerce.number().int().min(1).optional(),
  limit: z.coerce.number().int().min(1).max(500).default(50),
  cursor: z.string().optional(),
});
export const RankingItem = z.object({
  rank: z.number().int(),
  job_id: z.uuid(),
  cv_id: z.uuid(),
  project_id: z.uuid(),
  status: z.enum(jobStatuses),
  position_version: z.number().int().nullable(),
  combined_score: z.number().nullable().openapi({
    description:
      "50 × (cv_match_rate − 0.2) / 0.8 + 50 × (project_score − 2) / 8 (0–100: each half spans its score's whole range), one decimal; null until scored",
  }),
  cv_match_rate: z.number().nullable(),
  project_score: z.number().nullable(),
  scores: z
    .object({ cv: z.record(z.string(), z.number()), project: z.record(z.string(), z.number()) })
    .nullable(),
  flags: z.array(z.string()),
  error_code: z.string().nullable(),
});
export const RankingPage = z
  .object({ position_id: z.uuid(), items: z.array(RankingItem), next_cursor: z.string().nullable() })
  .openapi('Ranking');

export const eventTypeEnum = z.enum(['evaluation.completed', 'evaluation.failed']);
export const WebhookCreate = z
  .strictObject({
    // found from outside: ftp:// or file:// answered only 'Invalid URL'
    url: z.url({ protocol: /^https?$/, error: 'must be an http:// or https:// URL' }).max(2000),
    event_types: z.array(eventTypeEnum).min(1).max(2).optional(),
    description: z.string().max(500).optional(),
  })
  .openapi('WebhookCreate');
export const Webhook = z
  .object({
    id: z.uuid(),
    url: z.string(),
    event_types: z.array(z.string()),
    description: z.string().nullable(),
    status: z.enum(['active', 'disabled']),
    disabled_reason: z.string().nullable(),
    created_at: z.string(),
  })
  .openapi('Webhook');
export const WebhookWithSecret = Webhook.extend({
  secret: z.string().openapi({ description: 'whsec_…; shown once' }),
}).openapi('WebhookWithSecret');
export const SecretRotated = z
  .object({ secret: z.string(), previous_secret_expires_at: z.string() })
  .openapi('SecretRotated');
export const Delivery = z
  .object({
    id: z.uuid(),
    webhook_id: z.string(),
    job_id: z.uuid(),
    event_type: z.string(),
    status: z.enum(['pending', 'delivered', 'failed', 'cancelled']),
    attempts: z.number().int(),
    next_attempt_at: z.string().nullable(),
    last_status: z.number().int().nullable(),
    last_error: z.string().nullable(),
    delivered_at: z.string().nullable(),
    created_at: z.string(),
  })
  .openapi('Delivery');
export const DeliveryParams = z.object({ id: z.string(), delivery_id: z.string() });
export const DeliveriesQuery = z.object({
  status: z
    .enum(['pending', 'delivered', 'failed', 'cancelled'])
    .optional()
    .openapi({ description: 'only deliveries in this state (e.g. failed ones, to redeliver)' }),
  limit: z.coerce.number().int().min(1).max(100).default(50),
  cursor: z.string().optional(),
});
export const DeliveriesPage = z.object({ items: z.array(Delivery), next_cursor: z.string().nullable() });
