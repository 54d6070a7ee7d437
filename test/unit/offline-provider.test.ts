import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { defaultDocuments } from '../../lib/evaluation/documents/index.ts';
import { MAX_QUOTE_CHARS } from '../../lib/evaluation/evidence.ts';
import { readDocument } from '../../lib/evaluation/offline/text.ts';
import { evaluate } from '../../lib/evaluation/pipeline.ts';
import { OfflineProvider } from '../../lib/evaluation/providers/offline.ts';

const sample = (name: string) => readFileSync(new URL(`../../samples/${name}`, import.meta.url), 'utf8');
const input = (cv: string) => ({
  cvText: sample(cv),
  projectText: sample('project-report.txt'),
  ...defaultDocuments,
});

describe('offline provider on the shipped samples', () => {
  it('is deterministic: identical results across runs', async () => {
    const a = await evaluate(input('cv-strong.txt'), new OfflineProvider());
    const b = await evaluate(input('cv-strong.txt'), new OfflineProvider());
    const strip = (r: typeof a) => ({
      ...r,
      provenance: { ...r.provenance, latencyMs: null, startedAt: null, finishedAt: null },
    });
    expect(strip(a)).toEqual(strip(b));
  });

  it('scores move the right way: a CV that matches the job better scores higher', async () => {
    const strong = await evaluate(input('cv-strong.txt'), new OfflineProvider());
    const weak = await evaluate(input('cv-weak.txt'), new OfflineProvider());
    expect(strong.cvMatchRate).toBeGreaterThan(weak.cvMatchRate);
    expect(strong.cvScores.technical_skills!).toBeGreaterThan(weak.cvScores.technical_skills!);
    expect(strong.cvMatchRate).toBeGreaterThanOrEqual(0.7);
    expect(weak.cvMatchRate).toBeLessThanOrEqual(0.4);
  });

  it('a report with less evidence scores lower', async () => {
    const full = await evaluate(input('cv-strong.txt'), new OfflineProvider());
    const thin = await evaluate(
      { ...input('cv-strong.txt'), projectText: 'I made a website with a form.' },
      new OfflineProvider(),
    );
    expect(full.projectScore).toBeGreaterThan(thin.projectScore);
  });

  it('feedback cites what it found, and the provenance says offline', async () => {
    const r = await evaluate(input('cv-strong.txt'), new OfflineProvider());
    expect(r.cvFeedback).toMatch(/message broker|requirements/);
    expect(r.projectFeedback).toMatch(/backoff|retries/);
    // every parameter above 1 carries verbatim quotes, with offsets into the CV
    for (const [key, quotes] of Object.entries(r.evidence.cv)) {
      if (r.cvScores[key]! > 1) expect(quotes.length).toBeGreaterThan(0);
      for (const q of quotes) expect(input('cv-strong.txt').cvText.slice(q.start, q.end)).toBe(q.quote);
    }
    expect(r.provenance.evidence.dropped).toBe(0);
    expect(r.overallSummary).toMatch(/not from a language model/);
    expect(r.provenance).toMatchObject({ provider: 'offline', kind: 'offline', rubricVersion: 'rubric-v2' });
    expect(r.provenance.attempts).toEqual({ cv: 1, project: 1, summary: 1 });
  });
});

describe('offline provider on sentences longer than a quote may be', () => {
  // a paragraph with no full stop, as DOCX paragraphs and PDF bullets often are: ~1,500 characters
  const runOn = `Projects: ${Array.from(
    { length: 12 },
    (_, i) =>
      `built and operated the order service number ${i + 1} in Node.js and TypeScript on PostgreSQL and Kafka with Docker on AWS, with retries and idempotency keys`,
  ).join(', ')} for the payments team`;

  it('reads it in pieces that fit: the evaluation completes and every quote is verbatim and within the bound', async () => {
    expect(runOn.length).toBeGreaterThan(3 * MAX_QUOTE_CHARS);
    const cvText = `${sample('cv-strong.txt')}\n${runOn}\n${'x'.repeat(MAX_QUOTE_CHARS + 200)}\n`;
    const projectText = `${sample('project-report.txt')}\n${runOn.replace('Projects:', 'Design:')}\n`;
    const r = await evaluate({ ...input('cv-strong.txt'), cvText, projectText }, new OfflineProvider());
    const quotes = [
      ...Object.values(r.evidence.cv).flatMap((e) => e.map((q) => ({ ...q, text: cvText }))),
      ...Object.values(r.evidence.project).flatMap((e) => e.map((q) => ({ ...q, text: projectText }))),
    ];
    expect(quotes.length).toBeGreaterThan(0);
    for (const q of quotes) {
      expect(q.quote.length).toBeLessThanOrEqual(MAX_QUOTE_CHARS);
      expect(q.text.slice(q.start, q.end)).toBe(q.quote);
    }
  });

  it('a document that ends with one token longer than a quote (a URL, a blob) is read', async () => {
    // found in review: the last piece came out inverted and the reader failed on it
    const blob = `https://x.example/${'a'.repeat(MAX_QUOTE_CHARS + 100)}`;
    const cvText = `${sample('cv-strong.txt').trim()}\nPortfolio: ${blob}`;
    const doc = readDocument(cvText);
    for (const s of doc.sentences) {
      expect(s.end).toBeGreaterThan(s.start);
      expect(cvText.slice(s.start, s.end)).toBe(s.text);
    }
    const r = await evaluate({ ...input('cv-strong.txt'), cvText }, new OfflineProvider());
    expect(r.cvMatchRate).toBeGreaterThan(0);
  });

  it('still finds the evidence a run-on paragraph holds', async () => {
    const cvText = `Jane Doe\nBackend engineer\n\nExperience\n${runOn}\n`;
    const r = await evaluate({ ...input('cv-strong.txt'), cvText }, new OfflineProvider());
    const start = cvText.indexOf('Projects:');
    const fromParagraph = Object.values(r.evidence.cv)
      .flat()
      .filter((q) => q.start >= start);
    expect(fromParagraph.length).toBeGreaterThan(0);
    expect(r.cvScores.technical_skills).toBeGreaterThan(1);
  });
});
