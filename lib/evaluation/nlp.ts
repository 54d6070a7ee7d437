// One wink-nlp instance with its English model for the whole evaluation layer, loaded on first use
// (loading the model takes a while; a process that never reads a document never pays it).

import model from 'wink-eng-lite-web-model';
import winkNLP from 'wink-nlp';

let instance: ReturnType<typeof winkNLP> | undefined;

export function nlp(): ReturnType<typeof winkNLP> {
  instance ??= winkNLP(model);
  return instance;
}
