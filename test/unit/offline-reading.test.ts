// How the offline reader weighs the forms CVs take beyond the calibration corpus: keyword runs of
// multi-word terms, durations written out in words, and sections beside the work.
import { describe, expect, it } from 'vitest';
import { LIST_WEIGHT, sentenceWeight, termCounts } from '../../lib/evaluation/offline/analysis.ts';
import { analyseCvText } from '../../lib/evaluation/offline/cv.ts';
import { findMatches } from '../../lib/evaluation/offline/match.ts';
import { readDocument } from '../../lib/evaluation/offline/text.ts';

const DATA_JD = `# Data Analyst

- Write SQL in BigQuery; analyse data in Python (pandas).
- Cohort analysis, funnels, retention; A/B tests with sound statistics.
- Build dashboards in Tableau or Looker.
- 3+ years of experience as a data analyst.`;

const weights = (text: string) => {
  const doc = readDocument(text);
  const counts = termCounts(doc, findMatches(doc));
  return doc.sentences.map((s, i) => sentenceWeight(s, counts[i]!));
};

describe('offline reader: forms of CVs', () => {
  it('a comma-less run of multi-word terms is a keyword list, as a run of one-word tools is', () => {
    const run =
      'Data analyst cohort analysis funnel analysis a/b testing hypothesis testing confidence intervals ' +
      'data visualisation power bi star schema fact tables dimension tables data quality pivot tables google sheets.';
    expect(weights(run)).toEqual([LIST_WEIGHT]);
    // a sentence of work that names two such terms is still work
    const work = '- Ran cohort analysis and hypothesis testing for the growth team every quarter.';
    expect(weights(`Experience\n${work}`).at(-1)).toBeGreaterThan(LIST_WEIGHT);
  });

  it('a duration written out in words counts as years, as its digits do', () => {
    const cv = (n: string) =>
      `I have worked as a data analyst for ${n} years, writing SQL in BigQuery, running cohort analysis ` +
      'and building Tableau dashboards for the product team.';
    const words = analyseCvText(DATA_JD, cv('seven')).years;
    expect(words).toBe(analyseCvText(DATA_JD, cv('7')).years);
    expect(words).toBeGreaterThan(3);
  });
});
