// wink-nlp instances with the English model for the whole evaluation layer, each loaded on first use
// (loading the model takes a while; a process that never reads a document never pays it).

import model from 'wink-eng-lite-web-model';
import winkNLP from 'wink-nlp';

type Nlp = ReturnType<typeof winkNLP>;

let instance: Nlp | undefined;
let readerInstance: Nlp | undefined;

/** Every annotation of the model, entities included (redaction reads e-mails and URLs as entities). */
export function nlp(): Nlp {
  instance ??= winkNLP(model);
  return instance;
}

/**
 * The offline reader's instance: sentences, negation and parts of speech (lemmas follow from them) only.
 * Named entities and sentiment are two thirds of a full pass and the reader uses neither; no annotation
 * of this pipe reads what they set, so tokens, sentences, tags and negation flags are the same as a full
 * pass gives. Its own copy of the model (about 9 MB), loaded only where documents are read offline.
 */
export function reader(): Nlp {
  readerInstance ??= winkNLP(model, ['sbd', 'negation', 'pos']);
  return readerInstance;
}

/**
 * The longest run of characters without whitespace the model reads as it is. wink-nlp's tokenizer takes
 * time quadratic in a run's length (100,000 characters of base64 or "KafkaKafka…": seconds of CPU), and
 * no real word is this long: what is longer is a data URI, a hash or an extraction artefact.
 */
export const MAX_RUN_CHARS = 200;
const LONG_RUN = new RegExp(`\\S{${MAX_RUN_CHARS + 1},}`, 'g');
const CUT_AT = /[,;/|.:)\]}>-]/;
const HIGH_SURROGATE = /[\ud800-\udbff]/;
const LOW_SURROGATE = /[\udc00-\udfff]/;

/**
 * The text as the model should read it, the same length (every offset stays valid): each run longer than
 * MAX_RUN_CHARS is cut into pieces of at most that length, after the last punctuation mark of a piece
 * where it has one ("Python,SQL,…" keeps its words), else inside it, the character at the cut made a
 * space. With `blank`, long runs become spaces altogether (nothing of them is read).
 */
export function readable(text: string, blank = false): string {
  LONG_RUN.lastIndex = 0;
  if (!LONG_RUN.test(text)) return text;
  return text.replace(LONG_RUN, (run) => {
    if (blank) return ' '.repeat(run.length);
    const chars = run.split('');
    let from = 0;
    while (run.length - from > MAX_RUN_CHARS) {
      let cut = from + MAX_RUN_CHARS;
      for (let i = cut; i > from + MAX_RUN_CHARS / 2; i--) {
        if (CUT_AT.test(run[i]!)) {
          cut = i;
          break;
        }
      }
      // a character outside the BMP is two code units: both become spaces, never one half alone
      if (cut > 0 && LOW_SURROGATE.test(run[cut]!)) cut -= 1;
      chars[cut] = ' ';
      if (HIGH_SURROGATE.test(run[cut]!) && cut + 1 < run.length) chars[++cut] = ' ';
      from = cut + 1;
    }
    return chars.join('');
  });
}
