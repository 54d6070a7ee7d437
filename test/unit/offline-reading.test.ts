// How the offline reader weighs the forms CVs take beyond the calibration corpus: keyword runs of
// multi-word terms, durations written out in words, and sections beside the work.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { defaultDocuments } from '../../lib/evaluation/documents/index.ts';
import { LIST_WEIGHT, sentenceWeight, termCounts } from '../../lib/evaluation/offline/analysis.ts';
import { analyseCvText } from '../../lib/evaluation/offline/cv.ts';
import { rolesOf } from '../../lib/evaluation/offline/experience.ts';
import { offlineCvAnswer, offlineProjectAnswer } from '../../lib/evaluation/offline/index.ts';
import { findMatches, requirementsOf } from '../../lib/evaluation/offline/match.ts';
import { readDocument } from '../../lib/evaluation/offline/text.ts';
import { DEFAULT_RUBRIC } from '../../lib/evaluation/rubric.ts';

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

  it('sections beside the work (languages, volunteering, hobbies…) end the role above them and add no years', () => {
    const cv = `EXPERIENCE
Data Analyst, Shopwise (2021 – 2024)
- Wrote SQL in BigQuery and built Tableau dashboards for the product team.

VOLUNTEERING
Treasurer, Riverside Rowing Club (2010 – 2024)
- Built the club's Excel budget and presented it to members every year.

LANGUAGES
English (native), Spanish (fluent)

Hobbies:
Rowing, chess

SKILLS
Languages: Python, R
Tools: Tableau, dbt`;
    const doc = readDocument(cv);
    const at = (words: string) => doc.sentences.find((s) => s.text.includes(words))!;
    expect(at('Treasurer').section).toBe('additional');
    expect(at('English (native)').section).toBe('additional');
    expect(at('Rowing, chess').section).toBe('additional');
    // "Languages: Python, R" in a skills list is a skills line, not spoken languages
    expect(at('Python, R').section).toBe('skills');
    const roles = rolesOf(doc);
    expect(roles).toHaveLength(1);
    expect(doc.sentences[roles[0]!.end - 1]!.text).toContain('Tableau dashboards');
    // fourteen years as a club treasurer are not years of analysis
    expect(analyseCvText(DATA_JD, cv).years).toBeLessThan(4);
  });

  // Found from outside: "Label: prose, prose, prose." was read as a keyword list, so the README's own
  // sample report was told "Missing or stated as not done: automated testing" beside "code quality:
  // evidence: … integration tests", and a CV's "Collaboration: mentored …, wrote …, worked …" counted as
  // "0 examples of working with others".
  it('a labelled line of prose is prose; a labelled list of names is still a list', () => {
    const kinds = (text: string) => readDocument(text).sentences.map((s) => s.kind);
    expect(kinds('Tools: Jira, Confluence, Git, Docker')).toEqual(['list']);
    expect(kinds('Frameworks: Express, React, Spring')).toEqual(['list']);
    expect(
      kinds('Quality: the code is modular and typed, with unit and integration tests run in CI, and linted.'),
    ).toEqual(['prose']);
    // a later sentence of a labelled line is not under the label
    const two = readDocument(
      'Testing: 64 pytest tests pass. The Dockerfile and docker-compose start PostgreSQL, RabbitMQ, the API and the worker.',
    );
    expect(two.sentences.at(-1)!.kind).not.toBe('list');

    const report = readFileSync('samples/project-report.txt', 'utf8');
    const answer = offlineProjectAnswer(defaultDocuments.studyCaseBrief, report, DEFAULT_RUBRIC.project);
    expect(answer.feedback).toContain('integration tests');
    expect(answer.feedback).not.toContain('Missing or stated as not done: automated testing');

    const cv = `Alice Martin — Data Analyst

Experience
- Data Analyst, Shopwise (2019 – 2025): wrote SQL in BigQuery, ran cohort analysis and built Tableau dashboards.

Collaboration: mentored three junior analysts, wrote the team's SQL style guide, worked closely with finance and product.`;
    const f = analyseCvText(DATA_JD, cv);
    expect(f.parameters.cultural_fit.note).toMatch(/^1 example/);
    expect(f.parameters.cultural_fit.score).toBeGreaterThan(1);
  });

  // Found from outside: a CV whose skills list says "Docker, AWS, CI/CD" was told "Not shown: containers,
  // a cloud platform, CI/CD", which reads as a misreading of the CV; a keyword-stuffed CV looked like one
  // that never named the skills at all.
  it('feedback tells a requirement named only in a list from one the document never shows', () => {
    const cv = `Sam Reed — Data Analyst

Experience
- Data Analyst, Shopwise (2019 – 2025): wrote SQL in BigQuery and ran cohort analysis for the product team.

Skills: Tableau, Looker, Python, pandas`;
    const answer = offlineCvAnswer(DATA_JD, cv, DEFAULT_RUBRIC.cv);
    expect(answer.feedback).toMatch(
      /Named only in a skills list or in passing, with no work described: [^.]*dashboards/,
    );
    expect(answer.feedback).not.toMatch(/Not shown: [^.]*dashboards/);
    expect(answer.feedback).toMatch(/Not shown: [^.]*A\/B testing/);

    const brief = defaultDocuments.studyCaseBrief;
    const listed = offlineProjectAnswer(
      brief,
      'Stack: Kafka, PostgreSQL, RAG, tests, README',
      DEFAULT_RUBRIC.project,
    );
    expect(listed.feedback).toMatch(
      /Mentioned only in a list or in passing, with no work described: [^.]*a message broker/,
    );
  });

  // Found from outside: a brief asking for "an Idempotency-Key header" derived a requirement "Key", which
  // the feedback then listed as missing from a report that implemented exactly that header.
  it('the tail of a hyphenated word in a description is no named requirement', () => {
    const brief = `# Case study: a ledger

- A REST API in Python to post transfers, stored in PostgreSQL.
- Transfers are idempotent (an Idempotency-Key header); retries with backoff.
- Process notifications with a Celery worker on RabbitMQ.
- Tests with pytest and a Dockerfile.`;
    const labels = requirementsOf(brief, readDocument).map((r) => r.label);
    expect(labels).not.toContain('Key');
    expect(labels).toContain('Dockerfile');
  });
});
