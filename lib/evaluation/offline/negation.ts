// What a negation covers, read from a sentence's tokens. A cue negates what follows it up to the end of
// its clause ("no tests, no retry or README"; "without downtime"), not what came before it in the
// sentence: "we added idempotency keys so retried webhooks are not booked twice" says nothing against the
// keys. Only a predicate of doing ("Kafka was not used", "the LLM is not called", "tests were never
// written") turns back to its subject, the clause's start. A clause ends at ; : . ! ?, at a conjunction
// that opens another one ("but", "since", "so", "because"…), and at a comma or "and" that a new subject
// or verb follows ("…, we moved", "and there is").

const CUES = new Set([
  'no',
  'not',
  "n't",
  'never',
  'without',
  'nothing',
  'none',
  'neither',
  'nor',
  'cannot',
  'didn’t',
  "didn't",
  "don't",
  "doesn't",
  "wasn't",
  "isn't",
  "haven't",
  "hasn't",
]);
const CLAUSE_END = new Set([';', ':', '.', '!', '?', '—', '–']);
const OPENS_CLAUSE = new Set([
  'but',
  'since',
  'because',
  'so',
  'although',
  'though',
  'while',
  'whereas',
  'which',
  'who',
  'until',
  'once',
  'when',
  'where',
]);
/**
 * The verb of "X was not <verb>" that says X was not done, used or made (as written: "used", "written",
 * "built"): the subject is negated too.
 */
const DOING =
  /^(?:us(?:e|ed|ing)|implement|writ|wrote|add|do(?:ne)?$|test|call|includ|buil|made|mak|handl|support|cover|deploy|configur|provid|document|set$|creat|integrat|finish|complet|validat|wire|connect|run|ran$|start|plan|tried|try|need|requir)/;
const AUXILIARY = new Set([
  'is',
  'are',
  'was',
  'were',
  'be',
  'been',
  'being',
  'has',
  'have',
  'had',
  'did',
  'does',
  'do',
  'could',
  'can',
  'will',
  'would',
  'yet',
]);

export interface Tokens {
  /** token texts, lower case */
  lower: string[];
  pos: string[];
}

/** Where a clause starts: a new subject or verb after a comma or "and" ("…, we moved"; "and there is"). */
function opensAfterJoin(t: Tokens, j: number): boolean {
  const next = t.pos[j + 1];
  return next === 'PRON' || next === 'VERB' || next === 'AUX' || t.lower[j + 1] === 'there';
}

function endsClause(t: Tokens, j: number): boolean {
  const w = t.lower[j]!;
  if (CLAUSE_END.has(w) || OPENS_CLAUSE.has(w)) return true;
  return (w === ',' || w === 'and') && opensAfterJoin(t, j);
}

/** Token ranges [from, to] (inclusive) a sentence's negations cover, within tokens first..last. */
export function negatedSpans(t: Tokens, first: number, last: number): [number, number][] {
  const spans: [number, number][] = [];
  for (let i = first; i <= last; i++) {
    if (!CUES.has(t.lower[i]!)) continue;
    let to = i;
    while (to + 1 <= last && !endsClause(t, to + 1)) to++;
    let from = i;
    // "Kafka was not used", "tests were never written": the subject of an undone deed is negated too
    const aux =
      AUXILIARY.has(t.lower[i - 1] ?? '') || (t.lower[i] === "n't" && AUXILIARY.has(t.lower[i - 1] ?? ''));
    let verb = i + 1;
    while (verb <= to && (t.pos[verb] === 'ADV' || t.pos[verb] === 'AUX' || t.lower[verb] === 'yet')) verb++;
    // a participle after "not yet" is often tagged an adjective
    const undone =
      verb <= to && (t.pos[verb] === 'VERB' || t.pos[verb] === 'ADJ') && DOING.test(t.lower[verb]!);
    if (aux && undone) {
      while (from - 1 >= first && !endsClause(t, from - 1)) from--;
    }
    // "not yet implemented: uploads, a queue, retries": what the colon lists is what was not done
    if (undone && t.lower[to + 1] === ':') {
      to += 1;
      while (to + 1 <= last && !CLAUSE_END.has(t.lower[to + 1]!)) to++;
    }
    spans.push([from, to]);
  }
  return spans;
}
