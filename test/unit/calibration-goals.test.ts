// npm run eval's ranking goals hold per job: a job whose ranking is poor fails the run even when the
// figure pooled over all jobs passes.
import { describe, expect, it } from 'vitest';
import type { Corpus } from '../../lib/evaluation/calibration/corpus.ts';
import { GOALS, runCalibration, type Scorer } from '../../lib/evaluation/calibration/run.ts';

const cvs = Object.fromEntries(['c1', 'c2', 'c3', 'c4', 'c5', 'c6'].map((id) => [id, id]));
const corpus: Corpus = {
  dir: 'memory',
  jobs: { good: { description: 'good' }, poor: { description: 'poor' } },
  cvs,
  reports: {},
  labels: {
    jobs: {
      good: { cvs: { c1: 3, c2: 2, c3: 1 }, reports: {} },
      poor: { cvs: { c4: 3, c5: 2, c6: 1 }, reports: {} },
    },
    stuffed: {},
    injected: [],
    negated: [],
    softSkillsOnly: [],
    otherLanguage: [],
    cannotScreen: [],
  },
};
const scores: Record<string, Record<string, number>> = {
  // every pair in order
  good: { c1: 0.9, c2: 0.7, c3: 0.5, c4: 0.3, c5: 0.2, c6: 0.1 },
  // c1 (graded 0 for this job) above c5 (2) and c6 (1): 10 of 12 pairs in order
  poor: { c4: 0.9, c1: 0.6, c5: 0.5, c6: 0.2, c2: 0.1, c3: 0.05 },
};
const scorer: Scorer = {
  cv: async (job, cv) => ({ score: scores[job]![cv]!, flags: [] }),
  report: async () => ({ score: 5, flags: [] }),
};

describe('calibration goals', () => {
  it('fail a job below the pairwise goal although the pooled figure passes', async () => {
    const r = await runCalibration(corpus, scorer, 1);
    expect(r.cv.good!.pairwise).toBe(1);
    expect(r.cv.poor!.pairwise).toBeLessThan(GOALS.pairwise);
    expect(r.pairwise.cv).toBeGreaterThanOrEqual(GOALS.pairwise);
    expect(r.failures).toContain(`poor/cv: pairwise ${r.cv.poor!.pairwise} < ${GOALS.pairwise}`);
    expect(r.failures.some((f) => f.startsWith('good/'))).toBe(false);
  });

  it('report CPU per document', async () => {
    const r = await runCalibration(corpus, scorer, 1);
    expect(r.cpuMs.cv).toBeGreaterThanOrEqual(0);
    expect(Number.isFinite(r.cpuMs.report)).toBe(true);
  });
});
