// The offline CV analysis: requirements come from the job description itself; a CV earns credit for
// each requirement from its best evidence (work described > a summary > a bare skills list), as far as the
// work around it is in the job's field (field.ts); a sibling of the named term earns most of it, negated
// mentions count against, and repetition adds nothing. What the job title names is a must-have.
// Achievements and collaboration count only as actions, and neither can lift a CV that does not match.

import { boundedMemo } from '../../util/bounded-memo.ts';
import {
  band,
  CannotScreenError,
  countBand,
  MIN_REQUIREMENTS,
  type OfflineParameter,
  sentenceWeight,
  termCounts,
  top,
} from './analysis.ts';
import { relevantYears, rolesOf } from './experience.ts';
import { fieldContext, fieldsOf } from './field.ts';
import { matchesFor, type Requirement, requiredYears, requirementsOf, termsIn } from './match.ts';
import { jobRoleOf } from './role.ts';
import { type ReadDocument, readDocument } from './text.ts';
import { COLLABORATION_ACTIONS, FAMILIES, OUTCOME_WORDS } from './vocabulary.ts';

const FAMILY_BY_ID = new Map(FAMILIES.map((f) => [f.id, f]));

export type CvKey = 'technical_skills' | 'experience_level' | 'relevant_achievements' | 'cultural_fit';

export interface CvFindings {
  doc: ReadDocument;
  parameters: Record<CvKey, OfflineParameter>;
  requirements: Requirement[];
  met: { label: string; credit: number }[];
  years: number;
  requiredYears: number;
}

const SIBLING = 0.8;

/**
 * What the analysis reads from a job description, derived once per distinct description: every CV of a
 * position is read against the same one. Nothing here is changed by an analysis.
 */
const jobOf = boundedMemo((jobDescription: string) => {
  const requirements = requirementsOf(jobDescription, readDocument);
  return {
    requirements,
    // only what the vocabulary knows makes a description screenable: a list of names alone is not a role
    known: requirements.filter((r) => !r.name).length,
    wanted: new Set(requirements.map((r) => r.family)),
    fields: fieldsOf(requirements),
    forYears: new Set(requirements.filter((r) => r.years).map((r) => r.family)),
    role: jobRoleOf(jobDescription),
    needed: requiredYears(jobDescription),
  };
});

/** How many concrete requirements the analysis finds in a job description (screenable at MIN_REQUIREMENTS). */
export const jobRequirementsFound = (jobDescription: string): number => jobOf(jobDescription).known;

export function analyseCvText(
  jobDescription: string,
  cvText: string,
  exclude: [number, number][] = [],
): CvFindings {
  const { requirements, known, wanted, fields, forYears, role, needed } = jobOf(jobDescription);
  if (known < MIN_REQUIREMENTS) throw new CannotScreenError('job description', known, MIN_REQUIREMENTS);
  const doc = readDocument(cvText, exclude);
  const { all, wanted: matches } = matchesFor(doc, requirements);
  const roles = rolesOf(doc);
  const context = fieldContext(doc, all, roles, fields);
  // a line dense with terms is a keyword list whichever job reads it: count every term, not only wanted ones
  const counts = termCounts(doc, all);

  // best evidence per requirement, minus half for a negated mention
  const credit = new Map<string, number>();
  const negatedFamilies = new Set<string>();
  const techEvidence = new Map<number, number>();
  for (const m of matches) {
    if (m.negated) {
      negatedFamilies.add(m.family);
      continue;
    }
    const req = requirements.find((r) => r.family === m.family)!;
    const s = doc.sentences[m.sentence]!;
    // a licence or certification is proven by being listed where credentials are listed
    const listed =
      FAMILY_BY_ID.get(m.family)?.credential && (s.section === 'certifications' || s.kind === 'heading');
    const c =
      (listed ? 1 : sentenceWeight(s, counts[m.sentence]!)) *
      (req.named.has(m.term) ? 1 : SIBLING) *
      context[m.sentence]!;
    credit.set(m.family, Math.max(credit.get(m.family) ?? 0, c));
    techEvidence.set(m.sentence, (techEvidence.get(m.sentence) ?? 0) + c);
  }
  let total = 0;
  let got = 0;
  const met: CvFindings['met'] = [];
  for (const r of requirements) {
    const c = Math.max(0, (credit.get(r.family) ?? 0) - (negatedFamilies.has(r.family) ? 0.5 : 0));
    total += r.weight;
    got += r.weight * c;
    met.push({ label: r.label, credit: c });
  }
  const coverage = total ? got / total : 0;
  // depth: how many sentences of described work show the requirements
  const described = [...techEvidence.keys()].filter((i) => doc.sentences[i]!.kind === 'experience').length;
  // 1 means "none of the job's own skills": one specific requirement shown in earnest is a thin match
  const showsSpecific = requirements.some(
    (r, i) => !FAMILY_BY_ID.get(r.family)?.generic && met[i]!.credit >= 0.5,
  );
  // what the title names is the role itself (an ICU nurse, a backend engineer): without it, at most 3
  const missesTitle = requirements.some((r, i) => r.title && met[i]!.credit < 0.5);
  const technical = Math.min(
    missesTitle ? 3 : 5,
    Math.max(
      band(coverage * 0.85 + Math.min(1, described / 10) * 0.15, [0.62, 0.45, 0.3, 0.15]),
      showsSpecific ? 2 : 1,
    ),
  );
  // achievements, collaboration and years never lift a CV that shows none of the job's skills, nor one
  // that lacks the role itself above its skills
  const ceiling = technical === 1 ? 1 : missesTitle ? technical : technical + 1;
  const lift = (score: number) => Math.min(ceiling, score);

  const years = relevantYears(doc, matches, wanted, roles, all, role, forYears);
  const ratio = years.years / needed;
  const experience = Math.min(Math.max(ceiling, 2), band(ratio, [2.5, 1.6, 1, 0.5]));

  const achievements = new Map<number, number>();
  const collaboration = new Map<number, number>();
  doc.sentences.forEach((s, i) => {
    if (s.kind === 'list' || s.kind === 'heading') return;
    const relevant = (techEvidence.get(i) ?? 0) > 0;
    if (relevant && /\d/.test(s.text) && termsIn(s.text, OUTCOME_WORDS).length > 0)
      achievements.set(i, techEvidence.get(i)!);
    if (termsIn(s.text, COLLABORATION_ACTIONS).length > 0 && !s.negated.length) collaboration.set(i, 1);
  });
  const achievementScore = lift(
    achievements.size === 0 ? 1 : achievements.size === 1 ? 3 : achievements.size === 2 ? 4 : 5,
  );
  const culture = lift(countBand(collaboration.size));
  const metLabels = met.filter((m) => m.credit >= 0.5).map((m) => m.label);
  return {
    doc,
    requirements,
    met,
    years: Math.round(years.years * 10) / 10,
    requiredYears: needed,
    parameters: {
      technical_skills: {
        score: technical,
        sentences: top(techEvidence),
        note: `meets ${metLabels.length} of ${requirements.length} requirements of the job description`,
      },
      experience_level: {
        score: experience,
        sentences: years.quotes.slice(0, 3),
        note: `about ${Math.round(years.years * 10) / 10} years of relevant experience (the job asks for ${needed})`,
      },
      relevant_achievements: {
        score: achievementScore,
        sentences: top(achievements),
        note: `${achievements.size} measurable outcome${achievements.size === 1 ? '' : 's'} of relevant work`,
      },
      cultural_fit: {
        score: culture,
        sentences: top(collaboration),
        note: `${collaboration.size} example${collaboration.size === 1 ? '' : 's'} of working with others (mentoring, reviews, cross-team work)`,
      },
    },
  };
}
