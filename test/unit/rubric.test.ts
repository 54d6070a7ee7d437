import { describe, expect, it } from 'vitest';
import { CV_WEIGHTS, cvMatchRate, PROJECT_WEIGHTS, projectScore } from '../../lib/evaluation/rubric.ts';

describe('rubric math', () => {
  it('weights add up to 1', () => {
    expect(Object.values(CV_WEIGHTS).reduce((a, b) => a + b, 0)).toBeCloseTo(1, 10);
    expect(Object.values(PROJECT_WEIGHTS).reduce((a, b) => a + b, 0)).toBeCloseTo(1, 10);
  });

  it('cv match rate = weighted average ÷ 5, two decimals', () => {
    expect(
      cvMatchRate({ technical_skills: 5, experience_level: 5, relevant_achievements: 5, cultural_fit: 5 }),
    ).toBe(1);
    expect(
      cvMatchRate({ technical_skills: 1, experience_level: 1, relevant_achievements: 1, cultural_fit: 1 }),
    ).toBe(0.2);
    // 0.4·4 + 0.25·3 + 0.2·5 + 0.15·2 = 3.65 → 0.73
    expect(
      cvMatchRate({ technical_skills: 4, experience_level: 3, relevant_achievements: 5, cultural_fit: 2 }),
    ).toBe(0.73);
  });

  it('project score = weighted average × 2, one decimal', () => {
    expect(
      projectScore({ correctness: 5, code_quality: 5, resilience: 5, documentation: 5, creativity: 5 }),
    ).toBe(10);
    expect(
      projectScore({ correctness: 1, code_quality: 1, resilience: 1, documentation: 1, creativity: 1 }),
    ).toBe(2);
    // 0.3·4 + 0.25·3 + 0.2·2 + 0.15·5 + 0.1·1 = 3.2 → 6.4
    expect(
      projectScore({ correctness: 4, code_quality: 3, resilience: 2, documentation: 5, creativity: 1 }),
    ).toBe(6.4);
  });

  it('refuses to score what is missing or out of range instead of inventing or clamping', () => {
    expect(() =>
      cvMatchRate({ technical_skills: 6, experience_level: 3, relevant_achievements: 3, cultural_fit: 3 }),
    ).toThrow(/technical_skills/);
    expect(() =>
      projectScore({ correctness: 3, code_quality: 3, resilience: 3, documentation: 3 } as never),
    ).toThrow(/creativity/);
    expect(() =>
      cvMatchRate({ technical_skills: 2.5, experience_level: 3, relevant_achievements: 3, cultural_fit: 3 }),
    ).toThrow();
  });
});
