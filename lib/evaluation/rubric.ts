// The scoring rubric (docs/design.md, the product) in one place, versioned. Change a weight → bump
// RUBRIC_VERSION. A request may bring its own rubric (markdown, "## CV" and "## Project" sections of
// "- parameter (NN%): description" lines); it is parsed into parameters and weights and used, or refused
// with the reason — never ignored.
import { z } from 'zod';
import { AppError, codes } from '../errors.ts';
import { boundedMemo } from '../util/bounded-memo.ts';

export const RUBRIC_VERSION = 'rubric-v2';
export const PROMPT_VERSION = 'prompts-v2';

export const CV_WEIGHTS = {
  technical_skills: 0.4,
  experience_level: 0.25,
  relevant_achievements: 0.2,
  cultural_fit: 0.15,
} as const;

export const PROJECT_WEIGHTS = {
  correctness: 0.3,
  code_quality: 0.25,
  resilience: 0.2,
  documentation: 0.15,
  creativity: 0.1,
} as const;

export type CvParameter = keyof typeof CV_WEIGHTS;
export type ProjectParameter = keyof typeof PROJECT_WEIGHTS;
export type Scores<K extends string = string> = Record<K, number>;

export interface RubricParameter {
  key: string;
  weight: number;
  description: string;
}
export interface Rubric {
  cv: RubricParameter[];
  project: RubricParameter[];
}

const DESCRIPTIONS: Record<CvParameter | ProjectParameter, string> = {
  technical_skills: 'skills the job description asks for, shown in described work',
  experience_level: 'years and complexity of relevant work (not age)',
  relevant_achievements: 'measurable outcomes of relevant work',
  cultural_fit: 'evidence of collaboration: mentoring, reviews, cross-team work',
  correctness: 'implements what the brief asks for',
  code_quality: 'clean, modular, typed, tested',
  resilience: 'error handling, retries, timeouts, idempotency',
  documentation: 'README, setup instructions, trade-offs',
  creativity: 'useful extras beyond the brief',
};

const list = (w: Record<string, number>): RubricParameter[] =>
  Object.entries(w).map(([key, weight]) => ({ key, weight, description: DESCRIPTIONS[key as CvParameter] }));
export const DEFAULT_RUBRIC: Rubric = { cv: list(CV_WEIGHTS), project: list(PROJECT_WEIGHTS) };

/** Other names a request may use for the parameters the evaluators know. */
const ALIASES: Record<string, CvParameter | ProjectParameter> = {
  skills: 'technical_skills',
  technical: 'technical_skills',
  experience: 'experience_level',
  achievements: 'relevant_achievements',
  impact: 'relevant_achievements',
  culture: 'cultural_fit',
  collaboration: 'cultural_fit',
  teamwork: 'cultural_fit',
  quality: 'code_quality',
  reliability: 'resilience',
  docs: 'documentation',
  extras: 'creativity',
};

export class InvalidRubricError extends AppError {
  constructor(problems: string[]) {
    super(codes.INVALID_RUBRIC, `the scoring rubric cannot be used: ${problems.join('; ')}`);
  }
}

const LINE =
  /^\s*[-*•]\s*\*{0,2}([A-Za-z][\w -]{1,40}?)\*{0,2}\s*\(\s*(\d{1,3}(?:\.\d+)?)\s*%\s*\)\s*:?\s*(.*)$/;

/** Parses a rubric; throws InvalidRubricError with every problem found. */
export function parseRubric(text: string): Rubric {
  const problems: string[] = [];
  const sections: Record<'cv' | 'project', RubricParameter[]> = { cv: [], project: [] };
  let current: 'cv' | 'project' | undefined;
  for (const line of text.split('\n')) {
    const heading = /^\s*#{1,4}\s*(.+)$/.exec(line);
    if (heading) {
      current = /\bcv\b|résumé|resume|candidate/i.test(heading[1]!)
        ? 'cv'
        : /project|report|case/i.test(heading[1]!)
          ? 'project'
          : current;
      continue;
    }
    const m = LINE.exec(line);
    if (!m) continue;
    const raw = m[1]!
      .trim()
      .toLowerCase()
      .replace(/[\s-]+/g, '_');
    const key = raw in CV_WEIGHTS || raw in PROJECT_WEIGHTS ? raw : ALIASES[raw];
    if (!key) {
      problems.push(
        `unknown parameter "${m[1]!.trim()}" (known: ${[...Object.keys(CV_WEIGHTS), ...Object.keys(PROJECT_WEIGHTS)].join(', ')})`,
      );
      continue;
    }
    const section = key in CV_WEIGHTS ? 'cv' : 'project';
    if (current && current !== section)
      problems.push(`"${key}" is a ${section} parameter, listed under ${current}`);
    if (sections[section].some((p) => p.key === key)) problems.push(`"${key}" is listed twice`);
    sections[section].push({ key, weight: Number(m[2]) / 100, description: m[3]!.trim().slice(0, 300) });
  }
  for (const s of ['cv', 'project'] as const) {
    if (sections[s].length === 0) {
      problems.push(
        `no ${s} parameters found (expected lines like "- technical_skills (40%): …" under "## ${s === 'cv' ? 'CV' : 'Project'}")`,
      );
      continue;
    }
    const sum = sections[s].reduce((a, p) => a + p.weight, 0);
    if (Math.abs(sum - 1) > 0.011)
      problems.push(`${s} weights add up to ${Math.round(sum * 100)}%, not 100%`);
    if (sections[s].some((p) => p.weight <= 0)) problems.push(`${s} weights must be above 0%`);
  }
  if (problems.length) throw new InvalidRubricError(problems);
  return sections;
}

/**
 * The rubric of a text, parsed once per distinct text: every job of a position carries the same one.
 * Frozen, since the jobs share it (a result's provenance holds it).
 */
export const rubricOf = boundedMemo((text: string): Rubric => {
  const rubric = parseRubric(text);
  for (const params of Object.values(rubric)) {
    for (const p of params) Object.freeze(p);
    Object.freeze(params);
  }
  return Object.freeze(rubric);
});

/** Each parameter is an integer 1..5: a missing or out-of-range score fails the answer, never clamped. */
export const parameterScore = z.number().int().min(1).max(5);

function weighted(params: RubricParameter[], scores: Scores): number {
  let sum = 0;
  let total = 0;
  for (const { key, weight } of params) {
    const s = scores[key];
    if (s === undefined || !Number.isInteger(s) || s < 1 || s > 5)
      throw new RangeError(`score ${key} must be an integer 1..5 (got ${s})`);
    sum += weight * s;
    total += weight;
  }
  return sum / total;
}

const round = (x: number, digits: number) => Math.round((x + Number.EPSILON) * 10 ** digits) / 10 ** digits;

/** Weighted average ÷ 5, two decimals: 0.20 … 1.00. */
export function cvMatchRate(scores: Scores, params: RubricParameter[] = DEFAULT_RUBRIC.cv): number {
  return round(weighted(params, scores) / 5, 2);
}

/** Weighted average × 2, one decimal: 2.0 … 10.0. */
export function projectScore(scores: Scores, params: RubricParameter[] = DEFAULT_RUBRIC.project): number {
  return round(weighted(params, scores) * 2, 1);
}
