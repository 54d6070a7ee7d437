// The scoring rubric of DESIGN.md §1 in one place, versioned. Change a weight → bump RUBRIC_VERSION.
import { z } from 'zod';

export const RUBRIC_VERSION = 'rubric-v1';
export const PROMPT_VERSION = 'prompts-v1';

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
export type Scores<K extends string> = Record<K, number>;

/** Each parameter is an integer 1..5: a missing or out-of-range score fails the answer, never clamped. */
export const parameterScore = z.number().int().min(1).max(5);

function weighted<K extends string>(weights: Record<K, number>, scores: Scores<K>): number {
  let sum = 0;
  for (const [k, w] of Object.entries(weights) as [K, number][]) {
    const s = scores[k];
    if (!Number.isInteger(s) || s < 1 || s > 5)
      throw new RangeError(`score ${k} must be an integer 1..5 (got ${s})`);
    sum += w * s;
  }
  return sum;
}

const round = (x: number, digits: number) => Math.round((x + Number.EPSILON) * 10 ** digits) / 10 ** digits;

/** Weighted average ÷ 5, two decimals: 0.20 … 1.00. */
export function cvMatchRate(scores: Scores<CvParameter>): number {
  return round(weighted(CV_WEIGHTS, scores) / 5, 2);
}

/** Weighted average × 2, one decimal: 2.0 … 10.0. */
export function projectScore(scores: Scores<ProjectParameter>): number {
  return round(weighted(PROJECT_WEIGHTS, scores) * 2, 1);
}
