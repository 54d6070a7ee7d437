import { describe, expect, it } from 'vitest';
import { defaultDocuments } from '../../lib/evaluation/documents/index.ts';
import { evaluate } from '../../lib/evaluation/pipeline.ts';
import { OfflineProvider } from '../../lib/evaluation/providers/offline.ts';
import {
  CV_WEIGHTS,
  cvMatchRate,
  InvalidRubricError,
  PROJECT_WEIGHTS,
  parseRubric,
  projectScore,
} from '../../lib/evaluation/rubric.ts';

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

describe('rubric override', () => {
  const custom = `# Our rubric
## CV
- technical_skills (70%): the stack we use
- cultural_fit (30%): mentoring and reviews
## Project
- correctness (50%): does what the brief asks
- documentation (50%): README`;

  it('is parsed into parameters and weights, and those weights are what the scores use', async () => {
    const r = parseRubric(custom);
    expect(r.cv).toEqual([
      { key: 'technical_skills', weight: 0.7, description: 'the stack we use' },
      { key: 'cultural_fit', weight: 0.3, description: 'mentoring and reviews' },
    ]);
    expect(cvMatchRate({ technical_skills: 5, cultural_fit: 1 }, r.cv)).toBe(0.76);
    const input = {
      ...defaultDocuments,
      cvText:
        'Backend Engineer (2019 – 2025)\n- Built TypeScript REST APIs on PostgreSQL with Kafka and Docker.',
      projectText: 'I built the endpoints and a queue; the README explains the setup.',
    };
    const withDefault = await evaluate(input, new OfflineProvider());
    const withCustom = await evaluate({ ...input, scoringRubric: custom }, new OfflineProvider());
    expect(Object.keys(withCustom.cvScores)).toEqual(['technical_skills', 'cultural_fit']);
    expect(Object.keys(withCustom.projectScores)).toEqual(['correctness', 'documentation']);
    expect(withCustom.cvMatchRate).not.toBe(withDefault.cvMatchRate);
    expect(withCustom.provenance.rubric).toEqual(parseRubric(custom));
  });

  it('aliases name known parameters', () => {
    const r = parseRubric('## CV\n- Skills (60%)\n- Experience (40%)\n## Project\n- Correctness (100%)');
    expect(r.cv.map((p) => p.key)).toEqual(['technical_skills', 'experience_level']);
  });

  it.each([
    ['free text', 'Please be fair and focus on backend skills.', /no cv parameters/],
    [
      'weights not adding up',
      '## CV\n- technical_skills (70%)\n## Project\n- correctness (100%)',
      /add up to 70%/,
    ],
    [
      'an unknown parameter',
      '## CV\n- charisma (100%)\n## Project\n- correctness (100%)',
      /unknown parameter "charisma"/,
    ],
    [
      'a parameter twice',
      '## CV\n- skills (50%)\n- technical_skills (50%)\n## Project\n- correctness (100%)',
      /listed twice/,
    ],
  ])('refuses %s with the reason (INVALID_RUBRIC)', (_, text, reason) => {
    const err = (() => {
      try {
        parseRubric(text);
      } catch (e) {
        return e;
      }
    })() as InvalidRubricError;
    expect(err).toBeInstanceOf(InvalidRubricError);
    expect(err.code).toBe('INVALID_RUBRIC');
    expect(err.message).toMatch(reason);
  });

  it('the shipped default rubric parses to the default weights', () => {
    expect(parseRubric(defaultDocuments.scoringRubric).cv.map((p) => [p.key, p.weight])).toEqual(
      Object.entries(CV_WEIGHTS),
    );
  });
});
