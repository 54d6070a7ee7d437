// The sections of a CV or report and the heading lines that open them ("Experience", "## Skills",
// "**EDUCATION**"): a heading changes the section of the lines after it.

export type Section =
  | 'skills'
  | 'experience'
  | 'education'
  | 'summary'
  | 'certifications'
  | 'future'
  /** what a CV adds beside the work (languages, volunteering, interests, awards…): no role, no years */
  | 'additional'
  | 'other';

const SECTION_WORDS: [RegExp, Section][] = [
  [
    /^(skills|technical skills|technologies|tools|kenntnisse|compétences|habilidades|core skills)\b/i,
    'skills',
  ],
  [
    /^(experience|work|work experience|professional experience|employment|career|projects|clinical rotations|berufserfahrung|expérience|experiencia)\b/i,
    'experience',
  ],
  [/^(education|ausbildung|formation|educación|studies)\b/i, 'education'],
  // a course is learning, as a degree is: its dates are no years of work. Whole lines only. "Training"
  // is left out: it heads a trainer's work as well as courses taken (see the commit that added this)
  [
    /^(courses|online courses|coursework|relevant coursework|professional development|continuing education)$/i,
    'education',
  ],
  [/^(summary|profile|about|objective|profil)\b/i, 'summary'],
  [
    /^(licences|licenses|certifications|certificates|licences and certifications|certification|accreditations)\b/i,
    'certifications',
  ],
  // work a report says is still to do
  [
    /^(future work|future improvements|next steps|planned|planned work|roadmap|todo|to do|not (yet )?(done|implemented)|what i would (do|add) next|out of scope)$/i,
    'future',
  ],
  // whole lines only: "Languages & Tools" or "Interests: distributed systems" head a skills list
  [
    /^(languages|language skills|spoken languages|volunteering|volunteer work|volunteer experience|interests|hobbies|hobbies (and|&) interests|interests (and|&) hobbies|personal interests|publications|selected publications|papers|references|referees|awards|honors|honours|awards (and|&) (honors|honours)|achievements (and|&) awards|activities|extracurricular activities|personal|personal details|personal information|additional information|other)$/i,
    'additional',
  ],
];

/** The same headings, as the whole of a line: "Education", not "Education at Leeds" */
const WHOLE_HEADING: [RegExp, Section][] = SECTION_WORDS.map(([re, s]) => [
  new RegExp(`${re.source.replace(/\\b$/, '').replace(/\$$/, '')}$`, re.flags),
  s,
]);
/** What dresses a heading up: emphasis, rules and the glyphs some templates put before every line */
const DECORATION = /^[*_=~|▪▫■□●○◆◇►▸▶❖✦•\s]+|[*_=~|:\s]+$/g;

export function sectionOf(line: string): Section | undefined {
  const t = line.trim().replace(/^#+\s*/, '');
  if (t.length > 48) return undefined;
  for (const [re, s] of SECTION_WORDS) if (re.test(t)) return s;
  // **EDUCATION**, ▪ Education, == Skills ==, "Languages:": a heading only when the decoration leaves
  // nothing but its words (the same glyph before "▪ Web Developer, Acme" is a role line's)
  const bare = t.replace(DECORATION, '');
  if (bare !== t) for (const [re, s] of WHOLE_HEADING) if (re.test(bare)) return s;
  return undefined;
}

/**
 * The section a line's label names ("Skills: …", "Hobbies: …"). "Languages: Python, Go" is a skills line
 * as often as "Languages: English, French" is a spoken one: that label names no section.
 */
export function labelSectionOf(label: string): Section | undefined {
  const s = sectionOf(label);
  return s === 'additional' && /languages/i.test(label) ? undefined : s;
}
