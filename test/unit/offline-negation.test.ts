// What a negation covers in the offline reader. Found from outside: a cue negated its whole clause,
// backwards too ("…onto Kafka and we added idempotency keys so retried webhooks are not booked twice"
// took Kafka, the keys and the retries from a strong CV), and a comma ended it ("no experience with
// Kubernetes, Kafka or Go" left Kafka and Go shown); "not yet implemented: uploads, a queue…" negated one word.
import { describe, expect, it } from 'vitest';
import { readDocument } from '../../lib/evaluation/offline/text.ts';

const negated = (text: string) =>
  readDocument(text).sentences.flatMap((s) => s.negated.map(([a, b]) => text.slice(a, b)));

describe('negation scope', () => {
  it.each([
    ['Moved off RabbitMQ to Kafka without downtime.', ['without downtime']],
    ['No downtime since we moved to Kubernetes.', ['No downtime']],
    ['Built retries so failed calls never lose data.', ['never lose data']],
    ['Kafka, not RabbitMQ.', ['not RabbitMQ']],
    ['Prevent falls with hourly rounding.', []],
    [
      'Moved payments onto Kafka and we added idempotency keys so retried webhooks are not booked twice.',
      ['not booked twice'],
    ],
  ])('a cue covers what follows it, not what came before: %s', (text, expected) => {
    expect(negated(text)).toEqual(expected);
  });

  it('a list after the cue stays negated across its commas and "or"', () => {
    expect(negated('I have no experience with Kubernetes, Kafka or Go.')).toEqual([
      'no experience with Kubernetes, Kafka or Go',
    ]);
  });

  it('an undone deed negates its subject: "Kafka was not used", "I didn’t use Docker"', () => {
    expect(negated('Kafka was not used.')).toEqual(['Kafka was not used']);
    expect(negated("I didn't use Docker or Kubernetes.")).toEqual(["I didn't use Docker or Kubernetes"]);
    expect(negated('The LLM is not called and there is no schema validation.')).toEqual([
      'The LLM is not called',
      'no schema validation',
    ]);
  });

  it('what a colon lists after "not yet implemented" is what was not done', () => {
    const text =
      'Planned but not yet implemented: upload endpoints, queue, RAG, retries, tests and a README.';
    expect(negated(text)).toEqual([
      'not yet implemented: upload endpoints, queue, RAG, retries, tests and a README',
    ]);
  });
});
