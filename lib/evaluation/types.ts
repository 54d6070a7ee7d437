// The evaluation pipeline's vocabulary: steps, what a provider is asked and what it answers.
import type { Evidence } from './evidence.ts';
import type { RedactionKind } from './redact.ts';
import type { Rubric, Scores } from './rubric.ts';

export type StepName = 'cv' | 'project' | 'summary';

export interface EvaluationInput {
  cvText: string;
  projectText: string;
  jobDescription: string;
  studyCaseBrief: string;
  scoringRubric: string;
  /** which of the job description, brief and rubric came from the request instead of the defaults */
  overridden?: { jobDescription: boolean; studyCaseBrief: boolean; scoringRubric: boolean };
}

/** What a provider answers for the CV or the project step: a score and verbatim quotes per parameter. */
export interface StepAnswer {
  parameters: Record<string, { score: number; evidence: string[] }>;
  feedback: string;
}

export interface SummaryAnswer {
  overall_summary: string;
}

export interface Analysis {
  scores: Scores;
  evidence: Record<string, Evidence[]>;
  feedback: string;
}

export interface StepContext extends EvaluationInput {
  rubric: Rubric;
  /** the texts as the provider sees them (redacted for remote models) */
  seen: { cvText: string; projectText: string };
  /** instruction-like passages, left out of the offline analysis */
  injections: { cv: [number, number][]; project: [number, number][] };
  cv?: Analysis;
  project?: Analysis;
}

export interface StepRequest {
  step: StepName;
  system: string;
  user: string;
  schemaName: string;
  jsonSchema: Record<string, unknown>;
  context: StepContext;
  /** set on the repair pass: the answer that failed and why */
  repair?: { previous: string; error: string };
}

export type OutputMode = 'json_schema' | 'json_object' | 'prompt' | 'offline';

export interface ProviderAnswer {
  content: string;
  usage?: { inputTokens: number; outputTokens: number };
  /** the model the server says answered, and how structured output was asked for */
  model?: string;
  outputMode?: OutputMode;
}

export interface Provider {
  readonly name: string;
  readonly model: string;
  /** offline providers are labelled as such in the provenance and never pose as an LLM */
  readonly kind: 'offline' | 'llm';
  /** whether personal data is redacted before it reaches this provider (remote models: yes) */
  readonly redact?: boolean;
  complete(request: StepRequest, signal?: AbortSignal): Promise<ProviderAnswer>;
  /** loads now what its first answer would otherwise load on the way (a language model, say) */
  warmUp?(): void;
}

export type FlagCode =
  | 'injection_suspected'
  | 'needs_review'
  | 'score_without_evidence'
  | 'quotes_dropped'
  | 'language_unsupported';

export interface Flag {
  code: FlagCode;
  detail: string;
  document?: 'cv' | 'project';
  parameter?: string;
  quote?: string;
}

export interface EvaluationResult {
  cvMatchRate: number;
  cvFeedback: string;
  projectScore: number;
  projectFeedback: string;
  overallSummary: string;
  cvScores: Scores;
  projectScores: Scores;
  evidence: { cv: Record<string, Evidence[]>; project: Record<string, Evidence[]> };
  flags: Flag[];
  provenance: Provenance;
}

export interface Provenance {
  provider: string;
  model: string;
  modelReported: string | null;
  outputMode: OutputMode | null;
  kind: 'offline' | 'llm';
  promptVersion: string;
  rubricVersion: string;
  rubric: Rubric;
  inputs: Record<'cv' | 'project' | 'jobDescription' | 'studyCaseBrief' | 'scoringRubric', string>;
  overridden: string[];
  cvScores: Scores;
  projectScores: Scores;
  evidence: { quotes: number; verified: number; dropped: number; parametersWithoutEvidence: number };
  redactions: Partial<Record<RedactionKind, number>> | null;
  crossCheck: {
    offlineCvMatchRate: number;
    offlineProjectScore: number;
    cvGap: number;
    projectGap: number;
  } | null;
  attempts: Record<StepName, number>;
  latencyMs: Record<StepName | 'total', number>;
  tokens: { input: number; output: number };
  startedAt: string;
  finishedAt: string;
}
