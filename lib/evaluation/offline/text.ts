// Reads a document the way a recruiter skims it: line by line, knowing the section (skills, experience,
// education…), splitting lines into sentences with wink-nlp, and marking which words sit under a
// negation ("no tests", "did not use Docker"). Every sentence keeps its character offsets into the
// original text, so evidence quotes are verbatim.

import model from 'wink-eng-lite-web-model';
import winkNLP from 'wink-nlp';

const nlp = winkNLP(model);
const its = nlp.its;

export type Section = 'skills' | 'experience' | 'education' | 'summary' | 'certifications' | 'other';
export type SentenceKind = 'experience' | 'prose' | 'list' | 'heading';

export interface Sentence {
  text: string;
  start: number;
  end: number;
  section: Section;
  kind: SentenceKind;
  /** character ranges (absolute) of words under a negation */
  negated: [number, number][];
  hasVerb: boolean;
  words: number;
}

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
  [/^(summary|profile|about|objective|profil)\b/i, 'summary'],
  [/^(licences|licenses|certifications|certificates|licences and certifications)\b/i, 'certifications'],
];

const NEGATION_CUE =
  /\b(no|not|never|without|nothing|none|neither|nor|cannot|didn't|don't|doesn't|wasn't|isn't|haven't|hasn't)\b/i;

/** "Skills: a, b, c" — a labelled line whose value is a list. */
const LABELLED = /^\s*[-•*]?\s*([A-Za-zÄÖÜäöüéè]{2,20}(?: [A-Za-zÄÖÜäöüéè]{2,20}){0,2}):\s+(.*)$/;

function sectionOf(line: string): Section | undefined {
  const t = line.trim().replace(/^#+\s*/, '');
  if (t.length > 48) return undefined;
  for (const [re, s] of SECTION_WORDS) if (re.test(t)) return s;
  return undefined;
}

export interface ReadDocument {
  text: string;
  sentences: Sentence[];
  /** share of words that are common English function words (low → another language) */
  englishShare: number;
}

export function readDocument(text: string, exclude: [number, number][] = []): ReadDocument {
  const sentences: Sentence[] = [];
  let section: Section = 'other';
  let offset = 0;
  let words = 0;
  let stop = 0;
  for (const line of text.split('\n')) {
    const lineStart = offset;
    offset += line.length + 1;
    if (!line.trim()) continue;
    const heading = sectionOf(line);
    const labelled = LABELLED.exec(line);
    if (heading && (!labelled || sectionOf(labelled[1]!) === heading)) {
      section = heading;
      if (!labelled || !labelled[2]!.trim()) continue;
    }
    const labelSection = labelled ? sectionOf(labelled[1]!) : undefined;
    const doc = nlp.readDoc(line);
    const values = doc.tokens().out(its.value) as string[];
    const spaces = doc.tokens().out(its.precedingSpaces) as string[];
    const pos = doc.tokens().out(its.pos) as string[];
    const neg = doc.tokens().out(its.negationFlag) as boolean[];
    const isStop = doc.tokens().out(its.stopWordFlag) as boolean[];
    const types = doc.tokens().out(its.type) as string[];
    // absolute character offsets of each token, rebuilt from the token values and the spaces before them
    const starts: number[] = [];
    let cursor = 0;
    for (let i = 0; i < values.length; i++) {
      cursor += spaces[i]!.length;
      const found = line.indexOf(values[i]!, cursor);
      const at = found >= 0 && found - cursor < 4 ? found : cursor;
      starts.push(at);
      cursor = at + values[i]!.length;
    }
    // wink splits "Node.js" after the dot; sentences with no space between them are one sentence
    const spans: [number, number][] = [];
    doc.sentences().each((s: { out: (f: unknown) => unknown }) => {
      const [first, last] = s.out(its.span) as unknown as [number, number];
      const prev = spans.at(-1);
      if (prev && starts[first] === starts[prev[1]]! + values[prev[1]]!.length) prev[1] = last;
      else spans.push([first, last]);
    });
    for (const [first, last] of spans) {
      const start = lineStart + starts[first]!;
      const end = lineStart + starts[last]! + values[last]!.length;
      if (exclude.some(([a, b]) => start < b && end > a)) continue;
      const negated: [number, number][] = [];
      let verb = false;
      let n = 0;
      for (let i = first; i <= last; i++) {
        if (types[i] === 'word') {
          n += 1;
          if (isStop[i]) stop += 1;
        }
        if (pos[i] === 'VERB') verb = true;
        if (neg[i]) negated.push([lineStart + starts[i]!, lineStart + starts[i]! + values[i]!.length]);
      }
      words += n;
      const sText = text.slice(start, end);
      // a negation cue covers its whole clause: "Documentation was not written", "The LLM is not called"
      let clauseStart = 0;
      for (const clause of sText.split(/(?<=[,;:])|(?=\bbut\b)/)) {
        if (NEGATION_CUE.test(clause))
          negated.push([start + clauseStart, start + clauseStart + clause.length]);
        clauseStart += clause.length;
      }
      const commas = (sText.match(/[,;·|]/g) ?? []).length;
      const sec = labelSection ?? section;
      let kind: SentenceKind;
      if (sec === 'skills' || sec === 'certifications' || (labelled && commas >= 2)) kind = 'list';
      else if (commas >= 4 && commas * 3 >= n) kind = 'list';
      else if (!verb && n <= 8 && sec !== 'experience') kind = 'heading';
      else if (!verb && commas * 2 >= n - 2 && commas >= 3) kind = 'list';
      else if (sec === 'experience' || verb) kind = sec === 'experience' ? 'experience' : 'prose';
      else kind = 'prose';
      sentences.push({ text: sText, start, end, section: sec, kind, negated, hasVerb: verb, words: n });
    }
  }
  return { text, sentences, englishShare: words ? stop / words : 1 };
}
