// The evaluation pipeline: CV analysis → project analysis → final summary, each its own call with its
// own output schema. Every answer is validated (schema and ranges). An invalid answer gets one repair
// pass (the provider sees its answer and the error), then one fresh retry; then the job fails with a
// reason. A score is never invented or clamped. Every quote is verified against the document; invented
// ones are dropped and counted, and a score left without evidence is flagged.
import { createHash } from 'node:crypto';
import { z } from 'zod';
import { AppError, codes } from '../errors.ts';
import { SpanKind, withSpan } from '../telemetry/tracing.ts';
import { boundedMemo } from '../util/bounded-memo.ts';
import { type Evidence, verifyQuotes } from './evidence.ts';
import { detectInjection } from './injection.ts';
import { offlineCvAnswer, offlineProjectAnswer } from './offline/index.ts';
import { ENGLISH_MIN_SHARE, englishShare } from './offline/text.ts';
import { parseAnswer } from './parse-answer.ts';
import { plainText } from './plain-text.ts';
import { documentTag, stepSchema, summarySchema, systemPrompt, userPrompt } from './prompts.ts';
import { redact, redactsFor } from './redact.ts';
import {
  cvMatchRate,
  PROMPT_VERSION,
  projectScore,
  RUBRIC_VERSION,
  rubricOf,
  type Scores,
} from './rubric.ts';
import type {
  Analysis,
  EvaluationInput,
  EvaluationResult,
  Flag,
  OutputMode,
  Provider,
  StepAnswer,
  StepContext,
  StepName,
  StepRequest,
  SummaryAnswer,
} from './types.ts';

export { CannotScreenError } from './offline/index.ts';
export { sentences, summarySchema } from './prompts.ts';

/** The provider's answers never became valid: the job fails with this (no retry can help). */
export class InvalidAnswerError extends AppError {
  constructor(step: StepName, detail: string) {
    super(
      codes.INVALID_PROVIDER_ANSWER,
      `the ${step} step's answer stayed invalid after a repair pass and a retry: ${detail}`,
    );
  }
}

/**
 * LLM scores further than this from the offline evaluator's are flagged needs_review: 0.25 of match
 * rate is more than one rubric point on every CV parameter; 2.5 of project score is the same on 0–10.
 */
export const CROSS_CHECK_GAP = { cvMatchRate: 0.25, projectScore: 2.5 } as const;

export interface EvaluateOptions {
  signal?: AbortSignal;
  /** redact personal data before text reaches the provider; default: the provider's own setting */
  redact?: boolean;
}

interface StepOutcome<T> {
  value: T;
  attempts: number;
  latencyMs: number;
  tokens: { input: number; output: number };
  model?: string;
  outputMode?: OutputMode;
}

function runStep<T>(provider: Provider, step: StepName, ctx: StepContext, tag: string, signal?: AbortSignal) {
  return withSpan(
    `llm ${step}`,
    {
      kind: SpanKind.CLIENT,
      attributes: { 'gen_ai.system': provider.name, 'gen_ai.request.model': provider.model, 'cv.step': step },
    },
    async (span) => {
      const outcome = await runStepUntraced<T>(provider, step, ctx, tag, signal);
      span.setAttributes({
        'cv.attempts': outcome.attempts,
        'gen_ai.usage.input_tokens': outcome.tokens.input,
        'gen_ai.usage.output_tokens': outcome.tokens.output,
      });
      return outcome;
    },
  );
}

const schemas = new Map<string, { schema: z.ZodType; json: Record<string, unknown> }>();

/** The answer schema of a step for the rubric in use, built once per distinct rubric. */
function schemaFor(step: StepName, ctx: StepContext) {
  const params = step === 'cv' ? ctx.rubric.cv : step === 'project' ? ctx.rubric.project : [];
  const key = `${step}:${params.map((p) => `${p.key}=${p.weight}`).join(',')}`;
  let entry = schemas.get(key);
  if (!entry) {
    const schema = step === 'summary' ? summarySchema : stepSchema(params);
    entry = { schema, json: z.toJSONSchema(schema) as Record<string, unknown> };
    if (schemas.size >= 64) schemas.delete(schemas.keys().next().value!);
    schemas.set(key, entry);
  }
  return entry;
}

async function runStepUntraced<T>(
  provider: Provider,
  step: StepName,
  ctx: StepContext,
  tag: string,
  signal?: AbortSignal,
): Promise<StepOutcome<T>> {
  const { schema, json } = schemaFor(step, ctx);
  const base: StepRequest = {
    step,
    system: systemPrompt(tag),
    user: userPrompt(step, ctx, tag),
    schemaName: `${step}_evaluation`,
    jsonSchema: json,
    context: ctx,
  };
  const started = Date.now();
  const tokens = { input: 0, output: 0 };
  let attempts = 0;
  let lastError = '';
  let lastSummary = '';
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
    if (parsed.ok) {
      return {
        value: parsed.value as T,
        attempts,
        latencyMs: Date.now() - started,
        tokens,
        ...(answer.model ? { model: answer.model } : {}),
        ...(answer.outputMode ? { outputMode: answer.outputMode } : {}),
      };
    }
    lastError = parsed.error;
    lastSummary = parsed.summary;
  }
  throw new InvalidAnswerError(step, lastSummary);
}

interface Stats {
  quotes: number;
  verified: number;
  dropped: number;
  parametersWithoutEvidence: number;
}

/** Verifies every quote of a step's answer against its document; flags what is left unsupported. */
function verified(
  answer: StepAnswer,
  document: 'cv' | 'project',
  seen: string,
  original: string,
  flags: Flag[],
  stats: Stats,
): Analysis {
  const scores: Scores = {};
  const evidence: Record<string, Evidence[]> = {};
  let dropped = 0;
  for (const [key, p] of Object.entries(answer.parameters)) {
    scores[key] = p.score;
    const v = verifyQuotes(p.evidence, seen, original);
    evidence[key] = v.kept;
    stats.quotes += p.evidence.length;
    stats.verified += v.kept.length;
    dropped += v.dropped;
    if (v.kept.length === 0 && p.score > 1) {
      stats.parametersWithoutEvidence += 1;
      flags.push({
        code: 'score_without_evidence',
        document,
        parameter: key,
        detail: `${key} scored ${p.score} with no quote found in the ${document === 'cv' ? 'CV' : 'report'}`,
      });
    }
  }
  stats.dropped += dropped;
  // feedback that quotes the document must quote it truly: a quotation not found is dropped from trust
  const quoted = [...answer.feedback.matchAll(/["“]([^"”\n]{12,300})["”]/g)].map((m) => m[1]!);
  const unfound = quoted.filter((q) => verifyQuotes([q], seen, original).kept.length === 0);
  if (unfound.length > 0) {
    stats.dropped += unfound.length;
    flags.push({
      code: 'quotes_dropped',
      document,
      detail: `the feedback quotes ${unfound.length} passage${unfound.length === 1 ? '' : 's'} not found in the document`,
      quote: plainText(unfound[0]!, 300),
    });
  }
  if (dropped > 0) {
    flags.push({
      code: 'quotes_dropped',
      document,
      detail: `${dropped} quote${dropped === 1 ? '' : 's'} not found in the document were dropped`,
    });
  }
  return { scores, evidence, feedback: plainText(answer.feedback) };
}

const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');
/** the job description's, brief's and rubric's hashes: the same for every job of a position */
const documentHash = boundedMemo(sha256);

export async function evaluate(
  input: EvaluationInput,
  provider: Provider,
  options: EvaluateOptions = {},
): Promise<EvaluationResult> {
  const startedAt = new Date();
  const started = Date.now();
  const rubric = rubricOf(input.scoringRubric);
  const flags: Flag[] = [];
  const injections = { cv: detectInjection(input.cvText), project: detectInjection(input.projectText) };
  for (const [document, found] of Object.entries(injections) as ['cv' | 'project', typeof injections.cv][]) {
    for (const f of found) {
      flags.push({
        code: 'injection_suspected',
        document,
        quote: plainText(f.quote, 300),
        detail: `instruction-like text in the ${document === 'cv' ? 'CV' : 'report'} was treated as data, not obeyed`,
      });
    }
  }
  // The offline reader is English-only: a CV in another language is scored on the terms it shares
  // (tool names, dates) and flagged for a person who reads the language.
  const english = englishShare(input.cvText);
  if (english < ENGLISH_MIN_SHARE) {
    flags.push({
      code: 'language_unsupported',
      document: 'cv',
      detail: 'the CV does not look English; the offline reading covers tool names and dates only',
    });
    flags.push({
      code: 'needs_review',
      document: 'cv',
      detail: 'the CV should be read by someone who reads its language',
    });
  }
  const shouldRedact = options.redact ?? redactsFor(provider);
  const redactedCv = shouldRedact ? redact(input.cvText) : undefined;
  const redactedProject = shouldRedact ? redact(input.projectText) : undefined;
  const ctx: StepContext = {
    ...input,
    rubric,
    seen: {
      cvText: redactedCv?.text ?? input.cvText,
      projectText: redactedProject?.text ?? input.projectText,
    },
    injections: {
      cv: injections.cv.map((f) => [f.start, f.end]),
      project: injections.project.map((f) => [f.start, f.end]),
    },
  };
  const tag = documentTag();
  const stats: Stats = { quotes: 0, verified: 0, dropped: 0, parametersWithoutEvidence: 0 };
  const cvStep = await runStep<StepAnswer>(provider, 'cv', ctx, tag, options.signal);
  ctx.cv = verified(cvStep.value, 'cv', ctx.seen.cvText, input.cvText, flags, stats);
  const projectStep = await runStep<StepAnswer>(provider, 'project', ctx, tag, options.signal);
  ctx.project = verified(projectStep.value, 'project', ctx.seen.projectText, input.projectText, flags, stats);
  const summary = await runStep<SummaryAnswer>(provider, 'summary', ctx, tag, options.signal);

  const cvRate = cvMatchRate(ctx.cv.scores, rubric.cv);
  const project = projectScore(ctx.project.scores, rubric.project);
  let crossCheck: EvaluationResult['provenance']['crossCheck'] = null;
  if (provider.kind === 'llm') {
    try {
      const offCv = offlineCvAnswer(input.jobDescription, input.cvText, rubric.cv, ctx.injections.cv);
      const offProject = offlineProjectAnswer(
        input.studyCaseBrief,
        input.projectText,
        rubric.project,
        ctx.injections.project,
      );
      const score = (a: StepAnswer) =>
        Object.fromEntries(Object.entries(a.parameters).map(([k, v]) => [k, v.score]));
      const offlineCvMatchRate = cvMatchRate(score(offCv), rubric.cv);
      const offlineProjectScore = projectScore(score(offProject), rubric.project);
      crossCheck = {
        offlineCvMatchRate,
        offlineProjectScore,
        cvGap: Math.round(Math.abs(cvRate - offlineCvMatchRate) * 100) / 100,
        projectGap: Math.round(Math.abs(project - offlineProjectScore) * 10) / 10,
      };
      if (
        crossCheck.cvGap > CROSS_CHECK_GAP.cvMatchRate ||
        crossCheck.projectGap > CROSS_CHECK_GAP.projectScore
      ) {
        flags.push({
          code: 'needs_review',
          detail: `the model's scores differ from the offline evaluator's by ${crossCheck.cvGap} (CV match rate) and ${crossCheck.projectGap} (project score); limits ${CROSS_CHECK_GAP.cvMatchRate} and ${CROSS_CHECK_GAP.projectScore}`,
        });
      }
    } catch {
      // the offline evaluator cannot screen this job description: no cross-check, said in the provenance
    }
  }
  if (injections.cv.length + injections.project.length > 0 && provider.kind === 'llm') {
    flags.push({
      code: 'needs_review',
      detail: 'a document contains instruction-like text; confirm the scores by hand',
    });
  }
  const finishedAt = new Date();
  const overridden = Object.entries(input.overridden ?? {})
    .filter(([, v]) => v)
    .map(([k]) => k);
  const redactions = shouldRedact ? mergeCounts(redactedCv!.counts, redactedProject!.counts) : null;
  return {
    cvMatchRate: cvRate,
    cvFeedback: ctx.cv.feedback,
    projectScore: project,
    projectFeedback: ctx.project.feedback,
    overallSummary: plainText(summary.value.overall_summary),
    cvScores: ctx.cv.scores,
    projectScores: ctx.project.scores,
    evidence: { cv: ctx.cv.evidence, project: ctx.project.evidence },
    flags,
    provenance: {
      provider: provider.name,
      model: provider.model,
      modelReported: cvStep.model ?? null,
      outputMode: summary.outputMode ?? projectStep.outputMode ?? cvStep.outputMode ?? null,
      kind: provider.kind,
      promptVersion: PROMPT_VERSION,
      rubricVersion: overridden.includes('scoringRubric')
        ? `request-${documentHash(input.scoringRubric).slice(0, 12)}`
        : RUBRIC_VERSION,
      rubric,
      inputs: {
        cv: sha256(input.cvText),
        project: sha256(input.projectText),
        jobDescription: documentHash(input.jobDescription),
        studyCaseBrief: documentHash(input.studyCaseBrief),
        scoringRubric: documentHash(input.scoringRubric),
      },
      overridden,
      cvScores: ctx.cv.scores,
      projectScores: ctx.project.scores,
      evidence: stats,
      redactions,
      crossCheck,
      attempts: { cv: cvStep.attempts, project: projectStep.attempts, summary: summary.attempts },
      latencyMs: {
        cv: cvStep.latencyMs,
        project: projectStep.latencyMs,
        summary: summary.latencyMs,
        total: Date.now() - started,
      },
      tokens: {
        input: cvStep.tokens.input + projectStep.tokens.input + summary.tokens.input,
        output: cvStep.tokens.output + projectStep.tokens.output + summary.tokens.output,
      },
      startedAt: startedAt.toISOString(),
      finishedAt: finishedAt.toISOString(),
    },
  };
}

function mergeCounts<K extends string>(...all: Partial<Record<K, number>>[]): Partial<Record<K, number>> {
  const out: Partial<Record<K, number>> = {};
  for (const c of all) for (const [k, v] of Object.entries(c) as [K, number][]) out[k] = (out[k] ?? 0) + v;
  return out;
}
