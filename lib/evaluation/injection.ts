// Instruction-like text inside a document: someone talking to the evaluator rather than describing
// work. Found sentences are flagged with their quote, never obeyed, and left out of the offline scores.
import { randomFillSync } from 'node:crypto';

export interface InjectionFinding {
  quote: string;
  start: number;
  end: number;
}

const PATTERNS = [
  /\b(ignore|disregard|forget|override)\b[^.\n]{0,40}\b(previous|prior|above|all|earlier|the)\b[^.\n]{0,30}\b(instructions?|rules?|rubric|prompts?|guidelines)\b/i,
  /\b(new|updated|real|actual)\s+instructions?\b/i,
  /\b(score|rate|grade|mark)\b[^.\n]{0,50}\b(every|all|each)\b[^.\n]{0,40}\b(5|five|10|ten|maximum|highest|max|perfect|1\.0)\b/i,
  /\b(score|rate|grade|mark|rank)\s+(this|the)\s+(candidate|cv|report|applicant|nurse|engineer|analyst)\s+(as|with|at|higher|highly)\b/i,
  /\b(give|assign|output|return)\b[^.\n]{0,40}\b(maximum|highest|perfect|top|max)\b[^.\n]{0,20}\b(scores?|ratings?|marks?)\b/i,
  /\b(give|assign|output|return)\b[^.\n]{0,30}\b(cv_match_rate|project_score|score of)\b/i,
  /\bnote to the (ai|llm|model|system|evaluator|reviewer|assistant)\b/i,
  /\binstructions? for the (ai|llm|model|system|evaluator|reviewer|assistant)\b/i,
  /\byou are now\b|\bact as\b|\bpretend to be\b|\bevaluation override\b|\bjailbreak\b/i,
  /^\s*(\[?\s*(system|assistant|developer)\s*\]?\s*:|\[(system|inst)\]|<\|?(system|im_start)\|?>)/im,
  /\bsystem prompt\b/i,
];

/** Whether any pattern matches: their alternation, multiline for the one anchored at a line's start (no
 * other pattern has ^ or $, so the flag changes nothing else). */
const ANY_PATTERN = new RegExp(PATTERNS.map((p) => `(?:${p.source})`).join('|'), 'im');

/** Sentences (or lines) of the text that look like instructions to the evaluator. */
export function detectInjection(text: string): InjectionFinding[] {
  const out: InjectionFinding[] = [];
  // A pattern found in a line is found in the whole text: no pattern looks past a line's ends but through
  // \b and a multiline ^, which see the line break as they see the line's edge. Most documents match
  // none, and one pass of all the patterns over the text is much cheaper than one per pattern per line.
  if (!ANY_PATTERN.test(text)) return out;
  let offset = 0;
  for (const line of text.split('\n')) {
    const lineStart = offset;
    offset += line.length + 1;
    if (!PATTERNS.some((p) => p.test(line))) continue;
    // flag from the first suspicious sentence of the line to its end: injected text rarely stops early
    const sentences = [...line.matchAll(/[^.!?]+[.!?]*/g)];
    const first = sentences.find((s) => PATTERNS.some((p) => p.test(s[0]))) ?? sentences[0]!;
    const begin = lineStart + (first.index ?? 0) + (first[0].length - first[0].trimStart().length);
    out.push({
      quote: text.slice(begin, lineStart + line.length).trim(),
      start: begin,
      end: lineStart + line.length,
    });
  }
  return out;
}

// random bytes drawn 4 KiB at a time (a call into the CSPRNG per tag costs more than the bytes)
const pool = Buffer.alloc(4096);
let used = pool.length;

/** A per-request random tag to delimit documents: a document cannot close a tag it cannot guess. */
export function documentTag(): string {
  if (used + 8 > pool.length) {
    randomFillSync(pool);
    used = 0;
  }
  used += 8;
  return `doc-${pool.toString('hex', used - 8, used)}`;
}

export function delimit(tag: string, kind: string, text: string): string {
  return `<${tag} kind="${kind}">\n${text.replaceAll(tag, '[tag removed]')}\n</${tag}>`;
}
