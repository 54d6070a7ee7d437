// The evaluation pipeline's vocabulary: steps, what a provider is asked and what it answers.
import type { CvParameter, ProjectParameter, Scores } from './rubric.ts';

export type StepName = 'cv' | 'project' | 'summary';

export interface EvaluationInput {
  cvText: string;
  projectText: string;
  jobDescription: string;
  studyCaseBrief: string;
  scoringRubric: string;
}

export interface CvAnalysis {
  scores: Scores<CvParameter>;
  feedback: string;
}

export interface ProjectAnalysis {
  scores: Scores<ProjectParameter>;
  feedback: string;
}

export interface SummaryAnswer {
  overall_summary: string;
}

export interface StepContext extends EvaluationInput {
  cv?: CvAnalysis;
  project?: ProjectAnalysis;
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

export interface ProviderAnswer {
  content: string;
  usage?: { inputTokens: number; outputTokens: number };
}

export interface Provider {
  readonly name: string;
  readonly model: string;
  /** offline providers are labelled as such in the provenance and never pose as an LLM */
  readonly kind: 'offline' | 'llm';
  complete(request: StepRequest, signal?: AbortSignal): Promise<ProviderAnswer>;
}

export interface EvaluationResult {
  cvMatchRate: number;
  cvFeedback: string;
  projectScore: number;
  projectFeedback: string;
  overallSummary: string;
  cvScores: Scores<CvParameter>;
  projectScores: Scores<ProjectParameter>;
  provenance: Provenance;
}

export interface Provenance {
  provider: string;
  model: string;
  kind: 'offline' | 'llm';
  promptVersion: string;
  rubricVersion: string;
  cvScores: Scores<CvParameter>;
  projectScores: Scores<ProjectParameter>;
  attempts: Record<StepName, number>;
  latencyMs: Record<StepName | 'total', number>;
  tokens: { input: number; output: number };
}
