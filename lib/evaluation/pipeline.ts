// The evaluation pipeline: CV analysis → project analysis → final summary, each its own call with its
// own output schema. Every answer is validated (schema and ranges). An invalid answer gets one repair
// pass (the provider sees its answer and the error), then one fresh retry; then the job fails with a
// reason. A score is never invented or clamped.
import { z } from 'zod';
import { AppError, codes } from '../errors.ts';
import { SpanKind, withSpan } from '../telemetry/tracing.ts';
import {
  CV_WEIGHTS,
  cvMatchRate,
  PROJECT_WEIGHTS,
  PROMPT_VERSION,
  parameterScore,
  projectScore,
  RUBRIC_VERSION,
} from './rubric.ts';
import type {
  CvAnalysis,
  EvaluationInput,
  EvaluationResult,
  ProjectAnalysis,
  Provider,
  StepContext,
  StepName,
  StepRequest,
  SummaryAnswer,
} from './types.ts';

/** The provider's answers never became valid: the job fails with this (no retry can help). */
export class InvalidAnswerError extends AppError {
  constructor(step: StepName, detail: string) {
    super(
      codes.INVALID_PROVIDER_ANSWER,
      `the ${step} step's answer stayed invalid after a repair pass and a retry: ${detail}`,
    );
  }
}

const scoresOf = <K extends string>(weights: Record<K, number>) =>
  z.strictObject(
    Object.fromEntries(Object.keys(weights).map((k) => [k, parameterScore])) as Record<
      K,
      typeof parameterScore
    >,
  );

const feedback = z.string().trim().min(10).max(4000);
export const cvSchema = z.strictObject({ scores: scoresOf(CV_WEIGHTS), feedback });
export const projectSchema = z.strictObject({ scores: scoresOf(PROJECT_WEIGHTS), feedback });
export const summarySchema = z.strictObject({
  overall_summary: z
    .string()
    .trim()
    .min(20)
    .max(4000)
    .refine((s) => {
      const n = sentences(s);
      return n >= 3 && n <= 5;
    }, 'overall_summary must have 3 to 5 sentences'),
});

export function sentences(text: string): number {
  return text.split(/(?<=[.!?])\s+/).filter((s) => s.trim().length > 0).length;
}

const SYSTEM =
  'You are a meticulous technical recruiter. You evaluate candidates strictly against the job description, ' +
  'the case-study brief and the scoring rubric you are given. Score each rubric parameter with an integer from 1 to 5. ' +
  'Answer with JSON only, matching the schema exactly.';

function prompt(step: StepName, ctx: StepContext): string {
  if (step === 'cv') {
    return `## Job description\n${ctx.jobDescription}\n\n## Scoring rubric\n${ctx.scoringRubric}\n\n## Candidate CV\n${ctx.cvText}\n\nScore the CV on technical_skills, experience_level, relevant_achievements and cultural_fit, and give feedback citing the CV.`;
  }
  if (step === 'project') {
    return `## Case-study brief\n${ctx.studyCaseBrief}\n\n## Scoring rubric\n${ctx.scoringRubric}\n\n## Project report\n${ctx.projectText}\n\nScore the report on correctness, code_quality, resilience, documentation and creativity, and give feedback citing the report.`;
  }
  return `## CV analysis\n${JSON.stringify(ctx.cv)}\n\n## Project analysis\n${JSON.stringify(ctx.project)}\n\nWrite overall_summary: 3 to 5 sentences on strengths, gaps and a recommendation.`;
}

const SCHEMAS = { cv: cvSchema, project: projectSchema, summary: summarySchema } as const;

interface StepOutcome<T> {
  value: T;
  attempts: number;
  latencyMs: number;
  tokens: { input: number; output: number };
}

function runStep<T>(
  provider: Provider,
  step: StepName,
  ctx: StepContext,
  signal?: AbortSignal,
): Promise<StepOutcome<T>> {
  return withSpan(
    `llm ${step}`,
    {
      kind: SpanKind.CLIENT,
      attributes: { 'gen_ai.system': provider.name, 'gen_ai.request.model': provider.model, 'cv.step': step },
    },
    async (span) => {
      const outcome = await runStepUntraced<T>(provider, step, ctx, signal);
      span.setAttributes({
        'cv.attempts': outcome.attempts,
        'gen_ai.usage.input_tokens': outcome.tokens.input,
        'gen_ai.usage.output_tokens': outcome.tokens.output,
      });
      return outcome;
    },
  );
}

async function runStepUntraced<T>(
  provider: Provider,
  step: StepName,
  ctx: StepContext,
  signal?: AbortSignal,
): Promise<StepOutcome<T>> {
  const schema = SCHEMAS[step];
  const base: StepRequest = {
    step,
    system: SYSTEM,
    user: prompt(step, ctx),
    schemaName: `${step}_evaluation`,
    jsonSchema: z.toJSONSchema(schema) as Record<string, unknown>,
    context: ctx,
  };
  const started = Date.now();
  const tokens = { input: 0, output: 0 };
  let attempts = 0;
  let lastError = '';
  // try → repair pass → fresh retry
  const plan: ('fresh' | 'repair')[] = ['fresh', 'repair', 'fresh'];
  let previous = '';
  for (const kind of plan) {
    if (kind === 'repair' && !previous) continue;
    attempts += 1;
    const request = kind === 'repair' ? { ...base, repair: { previous, error: lastError } } : base;
    const answer = await provider.complete(request, signal);
    tokens.input += answer.usage?.inputTokens ?? 0;
    tokens.output += answer.usage?.outputTokens ?? 0;
    previous = answer.content;
    const parsed = parseAnswer(answer.content, schema);
    if (parsed.ok) return { value: parsed.value as T, attempts, latencyMs: Date.now() - started, tokens };
    lastError = parsed.error;
  }
  throw new InvalidAnswerError(step, lastError);
}

function parseAnswer(
  content: string,
  schema: z.ZodType,
): { ok: true; value: unknown } | { ok: false; error: string } {
  let json: unknown;
  try {
    // Servers without structured output sometimes wrap JSON in a code fence.
    json = JSON.parse(content.replace(/^\s*```(?:json)?\s*|\s*```\s*$/g, ''));
  } catch {
    return { ok: false, error: 'the answer is not JSON' };
  }
  const result = schema.safeParse(json);
  if (result.success) return { ok: true, value: result.data };
  return { ok: false, error: z.prettifyError(result.error).slice(0, 1000) };
}

export async function evaluate(
  input: EvaluationInput,
  provider: Provider,
  signal?: AbortSignal,
): Promise<EvaluationResult> {
  const started = Date.now();
  const ctx: StepContext = { ...input };
  const cv = await runStep<CvAnalysis>(provider, 'cv', ctx, signal);
  ctx.cv = cv.value;
  const project = await runStep<ProjectAnalysis>(provider, 'project', ctx, signal);
  ctx.project = project.value;
  const summary = await runStep<SummaryAnswer>(provider, 'summary', ctx, signal);
  return {
    cvMatchRate: cvMatchRate(cv.value.scores),
    cvFeedback: cv.value.feedback,
    projectScore: projectScore(project.value.scores),
    projectFeedback: project.value.feedback,
    overallSummary: summary.value.overall_summary,
    cvScores: cv.value.scores,
    projectScores: project.value.scores,
    provenance: {
      provider: provider.name,
      model: provider.model,
      kind: provider.kind,
      promptVersion: PROMPT_VERSION,
      rubricVersion: RUBRIC_VERSION,
      cvScores: cv.value.scores,
      projectScores: project.value.scores,
      attempts: { cv: cv.attempts, project: project.attempts, summary: summary.attempts },
      latencyMs: {
        cv: cv.latencyMs,
        project: project.latencyMs,
        summary: summary.latencyMs,
        total: Date.now() - started,
      },
      tokens: {
        input: cv.tokens.input + project.tokens.input + summary.tokens.input,
        output: cv.tokens.output + project.tokens.output + summary.tokens.output,
      },
    },
  };
}
