// Layouts the offline reader meets in extracted CV text, outside the calibration corpus: found with the
// second outside set (eval/outside2).
import { describe, expect, it } from 'vitest';
import { analyseCvText } from '../../lib/evaluation/offline/cv.ts';
import { readDocument } from '../../lib/evaluation/offline/text.ts';

const PLATFORM_JD = `# Platform Engineer

- Operate Kubernetes and Docker on AWS; infrastructure as code with Terraform.
- Build CI/CD pipelines with GitHub Actions and Argo CD.
- Run monitoring with Prometheus and Grafana; lead incident response and on-call.
- Automate with Python and Bash on Linux.
- 3+ years in a platform or site reliability role.`;

const pad = (left: string, right = '') => (right ? `${left.padEnd(40)}${right}` : left);
// a sidebar beside the main column, as pdftotext -layout writes a two-column template
const TWO_COLUMNS = [
  pad('ALEX MORGAN', 'CONTACT'),
  pad('Platform Engineer', 'alex@example.com'),
  '',
  pad('EXPERIENCE', 'SKILLS'),
  pad('Platform Engineer, Acme', 'Python  Bash'),
  pad('2018 - 2024', 'Linux  Git'),
  pad('Ran Kubernetes clusters on AWS with', 'Excel'),
  pad('Terraform and built CI/CD pipelines;', ''),
  pad('led incident response on-call.', 'EDUCATION'),
  pad('', 'BSc Physics, 2017'),
].join('\n');

describe('offline reader: two-column pages extracted line by line', () => {
  it('reads each column with its own headings', () => {
    const doc = readDocument(TWO_COLUMNS);
    const at = (words: string) => doc.sentences.find((s) => s.text.includes(words))!;
    expect(at('Ran Kubernetes').section).toBe('experience');
    expect(at('Ran Kubernetes').kind).toBe('experience');
    expect(at('Python').section).toBe('skills');
    expect(at('BSc Physics').section).toBe('education');
    // a quote stays verbatim: no sentence carries the other column's words
    expect(at('Ran Kubernetes').text).toBe('Ran Kubernetes clusters on AWS with');
  });

  it("counts the role's years and work as in the same CV written in one column", () => {
    const one = [
      'ALEX MORGAN',
      'EXPERIENCE',
      'Platform Engineer, Acme',
      '2018 - 2024',
      'Ran Kubernetes clusters on AWS with',
      'Terraform and built CI/CD pipelines;',
      'led incident response on-call.',
      'SKILLS',
      'Python  Bash',
      'Linux  Git',
      'Excel',
    ].join('\n');
    const a = analyseCvText(PLATFORM_JD, TWO_COLUMNS);
    const b = analyseCvText(PLATFORM_JD, one);
    expect(a.years).toBe(b.years);
    expect(a.years).toBeGreaterThan(5);
    expect(a.parameters.technical_skills.score).toBe(b.parameters.technical_skills.score);
  });

  it('leaves a table of a few aligned rows as it was', () => {
    const table = [
      'Experience',
      '| Period            | Role              | Company        |',
      '| 2021 – today      | Backend Developer | FinEdge        |',
      '| 2019 – 2021       | Software Engineer | Campus Connect |',
      'Built REST APIs in Go on PostgreSQL.',
      'Wrote the payment reconciliation service and its tests.',
      'Ran the on-call rotation for the team.',
    ].join('\n');
    const doc = readDocument(table);
    expect(doc.sentences.every((s) => s.column === undefined)).toBe(true);
  });

  it('looks for the column in linear time: a line ending in 100,000 spaces', () => {
    const started = performance.now();
    readDocument(`Experience\nBuilt things${' '.repeat(100_000)}\nRan Kubernetes.\nWrote Terraform.`);
    expect(performance.now() - started).toBeLessThan(2000);
  });
});
