// What a ranking shows for each candidate, as JSON or CSV. The order itself comes from the database
// (lib/db/ranking.ts documents the combined score); here: per-criterion scores, flags and the CSV.
import type { RankingRow } from '../db/ranking.ts';
import { CV_WEIGHTS, PROJECT_WEIGHTS } from '../evaluation/rubric.ts';

export const rankingFlags = ['needs_review', 'injection_suspected'] as const;

export interface RankingItem {
  job_id: string;
  cv_id: string;
  project_id: string;
  status: string;
  position_version: number | null;
  combined_score: number | null;
  cv_match_rate: number | null;
  project_score: number | null;
  scores: { cv: Record<string, number>; project: Record<string, number> } | null;
  /** needs_review, injection_suspected and whatever else the evaluation flagged */
  flags: string[];
  error_code: string | null;
}

/** Flag codes from the stored provenance (the evaluator keeps its flags there); a failed job needs review. */
function flagsOf(row: RankingRow): string[] {
  const codes = new Set<string>();
  const stored = (row.provenance as { flags?: unknown } | null)?.flags;
  if (Array.isArray(stored)) {
    for (const f of stored) {
      const code = typeof f === 'string' ? f : (f as { code?: unknown } | null)?.code;
      if (typeof code === 'string' && /^[a-z_]{1,64}$/.test(code)) codes.add(code);
    }
  }
  if (row.status === 'failed') codes.add('needs_review');
  return [...codes].sort();
}

const num = (v: string | null) => (v === null ? null : Number(v));

export function rankingItem(row: RankingRow): RankingItem {
  return {
    job_id: row.jobId,
    cv_id: row.cvId,
    project_id: row.projectId,
    status: row.status,
    position_version: row.positionVersion,
    combined_score: num(row.combinedScore),
    cv_match_rate: num(row.cvMatchRate),
    project_score: num(row.projectScore),
    scores: row.cvScores && row.projectScores ? { cv: row.cvScores, project: row.projectScores } : null,
    flags: flagsOf(row),
    error_code: row.errorCode,
  };
}

const CV_COLUMNS = Object.keys(CV_WEIGHTS);
const PROJECT_COLUMNS = Object.keys(PROJECT_WEIGHTS);

export const csvHeader = [
  'rank',
  'job_id',
  'cv_id',
  'project_id',
  'status',
  'position_version',
  'combined_score',
  'cv_match_rate',
  'project_score',
  ...CV_COLUMNS.map((c) => `cv_${c}`),
  ...PROJECT_COLUMNS.map((c) => `project_${c}`),
  'flags',
  'error_code',
];

/** RFC 4180 quoting, and a leading ' on cells a spreadsheet would run as a formula (CSV injection). */
function cell(value: unknown): string {
  if (value === null || value === undefined) return '';
  let s = String(value);
  if (/^[=+\-@\t\r]/.test(s)) s = `'${s}`;
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export function rankingCsvRows(items: RankingItem[], firstRank: number): string {
  return items
    .map((it, i) =>
      [
        firstRank + i,
        it.job_id,
        it.cv_id,
        it.project_id,
        it.status,
        it.position_version,
        it.combined_score,
        it.cv_match_rate,
        it.project_score,
        ...CV_COLUMNS.map((c) => it.scores?.cv[c]),
        ...PROJECT_COLUMNS.map((c) => it.scores?.project[c]),
        it.flags.join(';'),
        it.error_code,
      ]
        .map(cell)
        .join(','),
    )
    .map((line) => `${line}\r\n`)
    .join('');
}
