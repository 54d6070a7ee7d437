// Which field (software, clinical, data) a text's evidence is about. A term several fields share — SQL,
// Python, a dashboard, "A/B-tested" — shows the job's skill only as far as the work around it is in the
// job's field: SQL written for a payments backend is backend SQL, not product analysis.

import { inRole, type Role } from './experience.ts';
import type { Match, Requirement } from './match.ts';
import type { ReadDocument } from './text.ts';
import { FAMILIES, type Family } from './vocabulary.ts';

const FAMILY = new Map(FAMILIES.map((f) => [f.id, f]));

/** Common to many fields (tests, docs): no evidence of what a text or a role is about. Names are specific. */
export const isGeneric = (family: string) => FAMILY.get(family)?.generic === true;

/** The fields of a job description's or brief's specific (non-generic) requirements. */
export function fieldsOf(requirements: Requirement[]): Set<string> {
  const fields = new Set<string>();
  for (const r of requirements) {
    const f = FAMILY.get(r.family);
    if (f?.field && !f.generic) fields.add(f.field);
  }
  return fields;
}

/**
 * The specific subjects a text affirms (distinct non-generic families), split into those in the given
 * fields and those outside; a phrase several families share counts for the fields if one of them is there.
 */
export function fieldProfile(matches: Match[], fields: Set<string>): { on: number; off: number } {
  const spans = new Map<string, Family[]>();
  for (const m of matches) {
    const f = FAMILY.get(m.family);
    if (!f || m.negated || f.generic || !f.field) continue;
    const key = `${m.start}:${m.end}`;
    const list = spans.get(key);
    if (list) list.push(f);
    else spans.set(key, [f]);
  }
  const on = new Set<string>();
  const off = new Set<string>();
  for (const shared of spans.values()) {
    const inside = shared.filter((f) => fields.has(f.field!));
    for (const f of inside.length ? inside : shared) (inside.length ? on : off).add(f.id);
  }
  return { on: on.size, off: off.size };
}

/** Share of a text's specific subjects in the fields; 1 when it names none (nothing says otherwise). */
export const onFieldShare = (p: { on: number; off: number }) => (p.on + p.off ? p.on / (p.on + p.off) : 1);

/**
 * How far each sentence's evidence is in the fields, 0..1: 1 when at least half of the specific subjects
 * of its unit (the dated role it belongs to, else the sentence itself) lie in the fields, else their share.
 */
export function fieldContext(doc: ReadDocument, all: Match[], roles: Role[], fields: Set<string>): number[] {
  const unit = Array.from({ length: doc.sentences.length }, (_, i) => i);
  for (const r of roles) for (let i = r.first; i < r.end; i++) if (inRole(doc, r, i)) unit[i] = r.first;
  const byUnit = new Map<number, Match[]>();
  for (const m of all) {
    const u = unit[m.sentence]!;
    const list = byUnit.get(u);
    if (list) list.push(m);
    else byUnit.set(u, [m]);
  }
  const share = new Map<number, number>();
  for (const [u, ms] of byUnit) {
    const p = fieldProfile(ms, fields);
    share.set(u, p.on >= p.off ? 1 : onFieldShare(p));
  }
  return unit.map((u) => share.get(u) ?? 1);
}
