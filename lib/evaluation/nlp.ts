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
