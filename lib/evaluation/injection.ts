// Instruction-like text inside a document: someone talking to the evaluator rather than describing
// work. Found sentences are flagged with their quote, never obeyed, and left out of the offline scores.
import { randomBytes } from 'node:crypto';

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

/** Sentences (or lines) of the text that look like instructions to the evaluator. */
export function detectInjection(text: string): InjectionFinding[] {
  const out: InjectionFinding[] = [];
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

/** A per-request random tag to delimit documents: a document cannot close a tag it cannot guess. */
export function documentTag(): string {
  return `doc-${randomBytes(8).toString('hex')}`;
}

export function delimit(tag: string, kind: string, text: string): string {
  return `<${tag} kind="${kind}">\n${text.replaceAll(tag, '[tag removed]')}\n</${tag}>`;
}
