// Pure pieces of the console: evidence highlighting and the ranking CSV.
import { describe, expect, it } from 'vitest';
import { rubricBars, rubricOrder } from '../../lib/console/chart.ts';
import { highlighted } from '../../lib/console/pages/evidence.ts';
import { jobTable } from '../../lib/console/pages/jobs.ts';
import { positionPage, rankingCsv } from '../../lib/console/pages/positions.ts';
import type { RankingRow } from '../../lib/db/ranking.ts';
import { CV_WEIGHTS } from '../../lib/evaluation/rubric.ts';
import { csvHeader, rankingCsvRows, rankingItem } from '../../lib/positions/ranking.ts';

const render = async (h: unknown) => String(await h);

describe('evidence highlighting', () => {
  it('marks each quote at its offsets, merges overlaps and escapes the document', async () => {
    const text = 'Led <b>five</b> people; wrote Kafka consumers; shipped.';
    const out = await render(
      highlighted(text, [
        { start: 0, end: 15, criterion: 'experience_level' },
        { start: 10, end: 22, criterion: 'cultural_fit' },
        { start: 30, end: 45, criterion: 'technical_skills' },
        { start: 50, end: 999, criterion: 'out_of_range' },
      ]),
    );
    expect(out).toContain('<mark data-criteria="experience level, cultural fit"');
    expect(out).toContain('>Led &lt;b&gt;five&lt;/b&gt; people</mark>');
    expect(out).toContain('>Kafka consumers</mark>');
    expect(out.match(/<mark/g)).toHaveLength(2);
    expect(out).not.toContain('<b>');
  });
});

describe('ranking CSV', () => {
  const row = (o: Partial<RankingRow>): RankingRow =>
    ({
      jobId: '00000000-0000-4000-8000-000000000001',
      cvId: '00000000-0000-4000-8000-0000000000c1',
      projectId: '00000000-0000-4000-8000-0000000000b1',
      status: 'completed',
      combinedScore: '71.5',
      cvMatchRate: '0.80',
      projectScore: '7.0',
      positionVersion: 2,
      createdAt: new Date('2026-01-01T00:00:00Z'),
      cvScores: { technical_skills: 4 },
      projectScores: { correctness: 3 },
      provenance: { flags: [] },
      errorCode: null,
      ...o,
    }) as RankingRow;

  it("is the API's CSV: same header, one line per row, flags and error code, CRLF endings", () => {
    const csv = rankingCsv([
      row({ provenance: { flags: [{ code: 'injection_suspected' }, { code: 'needs_review' }] } }),
      row({
        jobId: 'x',
        status: 'failed',
        combinedScore: null,
        cvScores: null,
        projectScores: null,
        errorCode: 'CANNOT_SCREEN',
        provenance: null,
      }),
    ]);
    const lines = csv.split('\r\n');
    expect(lines[0]).toBe(csvHeader.join(','));
    expect(lines[0]).toMatch(/^rank,job_id,cv_id,project_id,status,.*,flags,error_code$/);
    expect(lines[1]).toBe(
      '1,00000000-0000-4000-8000-000000000001,00000000-0000-4000-8000-0000000000c1,00000000-0000-4000-8000-0000000000b1,completed,2,71.5,0.8,7,4,,,,3,,,,,injection_suspected;needs_review,',
    );
    expect(lines[2]).toMatch(/^2,x,.*,failed,2,,0\.8,7,,,,,,,,,,needs_review,CANNOT_SCREEN$/);
    expect(csv.endsWith('\r\n')).toBe(true);
    expect(csv).toBe(
      `${csvHeader.join(',')}\r\n${rankingCsvRows([row({ provenance: { flags: [{ code: 'injection_suspected' }, { code: 'needs_review' }] } }), row({ jobId: 'x', status: 'failed', combinedScore: null, cvScores: null, projectScores: null, errorCode: 'CANNOT_SCREEN', provenance: null })].map(rankingItem), 1)}`,
    );
  });

  it('quotes separators and neutralises formulas', () => {
    const csv = rankingCsv([row({ jobId: '=HYPERLINK("x")', status: 'a,b' as never })]);
    expect(csv.split('\r\n')[1]).toMatch(/^1,"'=HYPERLINK\(""x""\)",[^,]+,[^,]+,"a,b",/);
  });
});

describe('ranking table', () => {
  // found from outside: the console's ranking showed no flags, the API's did
  it("shows each candidate's flags in words, and 'none' when there are none", async () => {
    const base = {
      jobId: '00000000-0000-4000-8000-000000000001',
      cvId: 'c',
      projectId: 'p',
      status: 'completed',
      combinedScore: '71.5',
      cvMatchRate: '0.80',
      projectScore: '7.0',
      positionVersion: 1,
      createdAt: new Date(),
      cvScores: {},
      projectScores: {},
      errorCode: null,
    };
    const out = await render(
      positionPage({
        position: {
          id: 'p1',
          version: 1,
          title: 'T',
          jobDescription: 'j',
          studyCaseBrief: 'b',
          scoringRubric: 'r',
          archivedAt: null,
          createdAt: new Date(),
          updatedAt: new Date(),
        } as never,
        versions: [],
        ranking: [
          { ...base, provenance: { flags: [{ code: 'injection_suspected' }] } },
          { ...base, jobId: '00000000-0000-4000-8000-000000000002', provenance: { flags: [] } },
        ] as unknown as RankingRow[],
        csrf: 'x',
      }),
    );
    expect(out).toContain('<th scope="col">Flags</th>');
    expect(out).toContain('data-flags="injection_suspected"');
    expect(out).toContain('injection suspected</span>');
    expect(out).toMatch(/data-flags="">\s*<span class="hint">none<\/span>/);
  });
});

describe('jobs list pages', () => {
  // found from outside: the list showed the newest 50 with no way to older jobs
  const item = {
    id: '0b4f6a39-0000-4000-8000-000000000000',
    status: 'completed',
    created_at: '2026-12-07T10:00:00Z',
    updated_at: '2026-12-07T10:00:01Z',
  };
  it('links to older jobs with the next cursor and the filters, and back to the newest', async () => {
    const first = String(await jobTable([item], { status: 'completed' }, 'eyJ0IjoxfQ'));
    expect(first).toContain(
      'href="/app/jobs?status=completed&amp;cursor=eyJ0IjoxfQ" rel="next">Older jobs</a>',
    );
    expect(first).not.toContain('Newest jobs');
    // the live poll of a later page keeps its cursor
    expect(first).toContain('hx-get="/app/jobs/rows?status=completed&amp;seen=');
    const later = String(await jobTable([item], { status: 'completed', cursor: 'eyJ0IjoxfQ' }, null));
    expect(later).toContain('<a href="/app/jobs?status=completed">Newest jobs</a>');
    expect(later).not.toContain('Older jobs');
    expect(later).toContain('cursor=eyJ0IjoxfQ&amp;seen=');
    expect(String(await jobTable([item], {}, null))).not.toContain('pager');
  });
});

describe('position page', () => {
  const position = (version: number) =>
    ({
      id: 'p1',
      version,
      title: 'T',
      jobDescription: 'j',
      studyCaseBrief: 'b',
      scoringRubric: 'r',
      archivedAt: null,
      createdAt: new Date(),
      updatedAt: new Date(),
    }) as never;
  const versions = [
    { version: 1, title: 'T', createdAt: new Date() },
    { version: 2, title: 'T', createdAt: new Date() },
  ];
  // found from outside: version 1 of a position at version 2 offered "Save as version 2", and saving was
  // refused as "Someone saved version 2 meanwhile"
  it('offers no edit form on an earlier version, and links to the current one', async () => {
    const old = await render(positionPage({ position: position(1), versions, ranking: [], csrf: 'x' }));
    expect(old).not.toContain('Save as version');
    expect(old).not.toContain('Archive this position');
    expect(old).toContain('href="/app/positions/p1">Edit the current version (2)</a>');
    const now = await render(positionPage({ position: position(2), versions, ranking: [], csrf: 'x' }));
    expect(now).toContain('Save as version 3');
    expect(now).not.toContain('an earlier version');
  });
});

describe('criterion charts', () => {
  // found from outside: bars came in jsonb's key order (shortest key first), so cultural fit (15%) led
  it("orders the bars as the evaluation's rubric does, unknown criteria last", () => {
    // as PostgreSQL's jsonb gives the object back
    const stored = { cultural_fit: 1, experience_level: 4, technical_skills: 5, relevant_achievements: 5 };
    const bars = (p: unknown) => rubricBars(stored, rubricOrder(p, 'cv', CV_WEIGHTS)).map((b) => b.label);
    expect(bars({})).toEqual([
      'technical_skills',
      'experience_level',
      'relevant_achievements',
      'cultural_fit',
    ]);
    const custom = { rubric: { cv: [{ key: 'cultural_fit' }, { key: 'technical_skills' }] } };
    expect(bars(custom)).toEqual([
      'cultural_fit',
      'technical_skills',
      'experience_level',
      'relevant_achievements',
    ]);
  });
});
