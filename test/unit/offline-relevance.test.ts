// The offline evaluator reads terms in context: one requirement per phrase of the job description, shared
// terms (SQL, Python, a dashboard) counted as far as the work around them is in the job's field, years
// counted as far as a role was the job's work, named tools outside the vocabulary, and project reports
// scaled by how far they are about the brief at all.
import { describe, expect, it } from 'vitest';
import { analyseCvText } from '../../lib/evaluation/offline/cv.ts';
import { deriveRequirements, findMatches } from '../../lib/evaluation/offline/match.ts';
import { analyseReportText } from '../../lib/evaluation/offline/project.ts';
import { readDocument } from '../../lib/evaluation/offline/text.ts';
import { projectScore } from '../../lib/evaluation/rubric.ts';

const DATA_JD = `# Data Analyst, Product Analytics

- Write SQL against our warehouse (BigQuery) to answer product questions.
- Analyse data in Python (pandas): cohort analysis, funnels, retention and churn.
- Design and analyse A/B tests with sound statistics (significance, confidence intervals).
- Build dashboards in Looker or Tableau; define KPIs; work with data engineers on ETL and dbt.
- 2+ years of experience as a data analyst.`;

const PLATFORM_JD = `# Platform Engineer

- Operate Kubernetes and Docker on AWS; infrastructure as code with Terraform.
- Build CI/CD pipelines with GitHub Actions and Argo CD.
- Run monitoring with Prometheus and Grafana; lead incident response and on-call.
- Automate with Python and Bash on Linux.
- 3+ years in a platform or site reliability role.`;

const CHURN_BRIEF = `# Project brief: customer churn analysis

Analyse the churn of subscribers in the dataset we provide and report what the product team should do.

Requirements:

- Data cleaning: handle missing values, duplicates and outliers, and explain the choices.
- Exploratory analysis of churn by segment, tenure and plan, with charts.
- A statistical test or a model (for example logistic regression) that explains or predicts churn.
- A dashboard the product team can read, and recommendations backed by the numbers.
- A reproducible notebook or SQL scripts, and a README that explains how to run them.`;

const families = (text: string) => findMatches(readDocument(text)).map((m) => `${m.family}:${m.term}`);
const reportScore = (brief: string, report: string) =>
  projectScore(
    Object.fromEntries(
      Object.entries(analyseReportText(brief, report).parameters).map(([k, v]) => [k, v.score]),
    ),
  );

describe('offline evaluator in context', () => {
  it('the longest term wins: "Power BI" is not statistical power, "A/B tests" are not software tests', () => {
    const found = families('Built Power BI dashboards and ran A/B tests.');
    expect(found).toContain('bi:power bi');
    expect(found).toContain('experiments:a/b tests');
    expect(found.some((f) => f.startsWith('statistics:') || f.startsWith('testing:'))).toBe(false);
  });

  it('a term several fields share takes the field of the description: SQL and Python of a data job', () => {
    const ids = deriveRequirements(readDocument(DATA_JD)).map((r) => r.family);
    expect(ids).toContain('sql_analytics');
    expect(ids).toContain('analysis_lang');
    // the backend senses of the same words are not requirements of a data analyst
    expect(ids).not.toContain('relational');
    expect(ids).not.toContain('language');
  });

  it("SQL written for a payments backend shows less of a data analyst's SQL than SQL written for analysis", () => {
    const backend = `Backend Engineer, Payco (2019 – 2025)
- Built Kafka consumers with retries and idempotency, REST APIs in Go, Docker on Kubernetes, and wrote SQL on PostgreSQL.`;
    const analyst = `Data Analyst, Shopco (2019 – 2025)
- Wrote SQL on PostgreSQL for cohort and retention analyses, and built Looker dashboards.`;
    const sql = (cv: string) =>
      analyseCvText(DATA_JD, cv).met.find((m) => m.label === 'SQL for analysis')!.credit;
    expect(sql(analyst)).toBeGreaterThan(0.8);
    expect(sql(backend)).toBeLessThan(0.5);
  });

  it("years count as far as a role was the job's work: an SRE role, not a backend role that ran Docker", () => {
    const sre = `Site Reliability Engineer, Netco (2019 – 2025)
- Ran Kubernetes on AWS with Terraform; Prometheus alerting; led incident response and on-call.`;
    const backend = `Backend Engineer, Shopco (2019 – 2025)
- Built REST APIs in Java with Spring Boot on PostgreSQL, Kafka consumers with retries; deployed with Docker.`;
    expect(analyseCvText(PLATFORM_JD, sre).years).toBeGreaterThan(5);
    // half its years at most: an engineer's title, little of the platform work
    expect(analyseCvText(PLATFORM_JD, backend).years).toBeLessThanOrEqual(3);
  });

  it('a tool the description names outside the vocabulary is a requirement a CV meets by naming it', () => {
    const argo = analyseCvText(
      PLATFORM_JD,
      'DevOps Engineer (2020 – 2025)\n- Moved every deploy to Argo CD.',
    );
    expect(argo.requirements.some((r) => r.label === 'Argo CD')).toBe(true);
    expect(argo.met.find((m) => m.label === 'Argo CD')!.credit).toBeGreaterThan(0.5);
    const none = analyseCvText(
      PLATFORM_JD,
      'DevOps Engineer (2020 – 2025)\n- Moved every deploy to Jenkins.',
    );
    expect(none.met.find((m) => m.label === 'Argo CD')!.credit).toBe(0);
  });

  it('a CV without what the title names (the role itself) scores at most 3 on technical skills', () => {
    const icu =
      '# Critical Care Registered Nurse (ICU)\n\n- Care for ventilated patients; titrate sedation; act on sepsis.\n- Registered Nurse licence, BLS and ACLS; 2+ years of ICU experience.\n- Document in Epic; prevent pressure injuries and falls.';
    const ward = `Registered Nurse, Medical Ward (2015 – 2025)
- Cared for acute medical patients: sedation, sepsis escalation, falls and pressure injury prevention, Epic.
Certifications: Registered Nurse, BLS, ACLS`;
    const f = analyseCvText(icu, ward);
    expect(f.met.find((m) => m.label.startsWith('intensive'))!.credit).toBe(0);
    expect(f.parameters.technical_skills.score).toBeLessThanOrEqual(3);
    // with ICU experience the same CV is not capped
    expect(
      analyseCvText(icu, ward.replace('Medical Ward', 'ICU')).parameters.technical_skills.score,
    ).toBeGreaterThan(3);
  });

  it('a thorough report on another field’s project scores below a weak report that answers the brief', () => {
    const backendReport = `I built the service in TypeScript on Node.js with PostgreSQL and a Kafka queue. The API has endpoints
to upload documents and read results; evaluation runs asynchronously. Every LLM call has a timeout and retries
with backoff; answers are validated against a JSON schema. Unit and integration tests run in CI. The README has
setup instructions and explains the trade-offs. Extras: a small dashboard for job progress.`;
    const weakChurn =
      'Churn project. I made a pie chart of customers who left in Excel: about one in five left. The company should improve the product.';
    expect(reportScore(CHURN_BRIEF, backendReport)).toBeLessThan(reportScore(CHURN_BRIEF, weakChurn));
    expect(reportScore(CHURN_BRIEF, backendReport)).toBeLessThanOrEqual(2.6);
  });
});
