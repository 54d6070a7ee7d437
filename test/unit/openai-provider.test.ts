// The openai-compatible provider and the pipeline's validation, against a local fake server over HTTP.
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { RetriableError } from '../../lib/errors.ts';
import { defaultDocuments } from '../../lib/evaluation/documents/index.ts';
import { nlp, reader } from '../../lib/evaluation/nlp.ts';
import { evaluate, InvalidAnswerError } from '../../lib/evaluation/pipeline.ts';
import { OpenAICompatibleProvider } from '../../lib/evaluation/providers/openai-compatible.ts';
import { type Behaviour, type FakeLlm, goodAnswer, startFakeLlm, withEvidence } from '../helpers/fake-llm.ts';

// the LLM path redacts (the full NLP pipe) and cross-checks with the offline reader (its own pipe): load
// both language models once, outside the tests' timeouts
beforeAll(() => {
  nlp();
  reader();
}, 60_000);

const input = { cvText: 'CV text', projectText: 'Report text', ...defaultDocuments };
let fake: FakeLlm | undefined;
afterEach(async () => {
  await fake?.close();
  fake = undefined;
});

async function run(script: Behaviour[], options: { timeoutMs?: number; maxRetries?: number } = {}) {
  fake = await startFakeLlm(script);
  const provider = new OpenAICompatibleProvider({
    baseUrl: fake.url,
    model: 'fake-model',
    timeoutMs: options.timeoutMs ?? 5000,
    concurrency: 2,
    maxRetries: options.maxRetries ?? 2,
  });
  return evaluate(input, provider);
}

const good: Behaviour = { kind: 'answer', content: goodAnswer };

describe('openai-compatible provider', () => {
  it('a good answer: scores computed by the rubric, provenance with model, tokens and attempts', async () => {
    const r = await run([good]);
    expect(r.cvMatchRate).toBe(0.73);
    expect(r.projectScore).toBe(6.4);
    expect(r.provenance).toMatchObject({ provider: 'openai-compatible', model: 'fake-model', kind: 'llm' });
    expect(r.provenance.tokens).toEqual({ input: 300, output: 60 });
    expect(r.provenance.attempts).toEqual({ cv: 1, project: 1, summary: 1 });
    expect(fake!.requests[0]!.response_format?.type).toBe('json_schema');
  });

  it('every call carries max_tokens (issue 13: bounded cost per call)', async () => {
    fake = await startFakeLlm([{ kind: 'answer', content: () => 'not json' }, good]);
    const provider = new OpenAICompatibleProvider({
      baseUrl: fake.url,
      model: 'fake-model',
      timeoutMs: 5000,
      concurrency: 2,
      maxRetries: 0,
      maxTokens: 321,
    });
    await evaluate(input, provider);
    expect(fake.requests.length).toBeGreaterThan(3);
    for (const body of fake.requests) expect((body as { max_tokens?: number }).max_tokens).toBe(321);
  });

  it('garbage gets one repair pass that sees the bad answer, and succeeds', async () => {
    const r = await run([{ kind: 'answer', content: () => 'I think the candidate is great!' }, good]);
    expect(r.provenance.attempts.cv).toBe(2);
    const repair = fake!.requests[1]!;
    expect(repair.messages.map((m) => m.role)).toEqual(['system', 'user', 'assistant', 'user']);
    expect(repair.messages[3]!.content).toMatch(/not JSON/);
  });

  it('out-of-range scores are never clamped: repair, retry, then the job fails with a reason', async () => {
    const outOfRange = JSON.stringify({
      parameters: withEvidence({
        technical_skills: 7,
        experience_level: 3,
        relevant_achievements: 5,
        cultural_fit: 2,
      }),
      feedback: 'Way too enthusiastic about this candidate.',
    });
    const err = await run([{ kind: 'answer', content: () => outOfRange }]).catch((e) => e);
    expect(err).toBeInstanceOf(InvalidAnswerError);
    expect(err.code).toBe('INVALID_PROVIDER_ANSWER');
    expect(err.message).toMatch(/technical_skills/);
    expect(fake!.requests).toHaveLength(3); // answer, repair pass, fresh retry
  });

  it('the stored reason names the issues and where, never the answer: an unknown key is not quoted', async () => {
    const secret = 'Jane Roe, 12 Elm Street';
    const withKey = JSON.stringify({
      parameters: withEvidence({
        technical_skills: 4,
        experience_level: 3,
        relevant_achievements: 5,
        cultural_fit: 2,
      }),
      feedback: 'Solid backend experience overall.',
      [secret]: 1,
    });
    const err = await run([{ kind: 'answer', content: () => withKey }]).catch((e) => e);
    expect(err).toBeInstanceOf(InvalidAnswerError);
    expect(err.message).toMatch(/unrecognized_keys at the top/);
    expect(err.message).not.toContain('Elm');
    // the repair pass tells the model what was wrong, in the validator's words
    expect(fake!.requests[1]!.messages[3]!.content).toContain('Elm');
  });

  it('a missing parameter fails the step: a score is never invented', async () => {
    const missing = JSON.stringify({
      parameters: withEvidence({ technical_skills: 4 }),
      feedback: 'Only one score given here.',
    });
    const err = await run([{ kind: 'answer', content: () => missing }]).catch((e) => e);
    expect(err).toBeInstanceOf(InvalidAnswerError);
  });

  it('429 and 500 are retried with backoff (honouring Retry-After), then succeed', async () => {
    const started = Date.now();
    const r = await run([
      { kind: 'status', status: 429, retryAfter: '1' },
      { kind: 'status', status: 500 },
      good,
    ]);
    expect(r.cvMatchRate).toBe(0.73);
    expect(fake!.requests.length).toBe(5); // 2 failures + 3 steps
    expect(Date.now() - started).toBeGreaterThanOrEqual(900); // waited the Retry-After second
  });

  it('a provider that stays down surfaces as a retriable error (the job is retried later, not failed)', async () => {
    const err = await run([{ kind: 'status', status: 503 }], { maxRetries: 1 }).catch((e) => e);
    expect(err).toBeInstanceOf(RetriableError);
    expect(err.code).toBe('PROVIDER_UNAVAILABLE');
  });

  it('a provider that never answers times out as a retriable error', async () => {
    const err = await run([{ kind: 'hang' }], { timeoutMs: 300, maxRetries: 0 }).catch((e) => e);
    expect(err).toBeInstanceOf(RetriableError);
    expect(err.code).toBe('PROVIDER_TIMEOUT');
  });

  it('falls back when the server has no JSON-schema output', async () => {
    const r = await run([
      { kind: 'status', status: 400, message: "response_format 'json_schema' is not supported" },
      { kind: 'status', status: 400, message: 'response_format json_object is not supported' },
      good,
    ]);
    expect(r.cvMatchRate).toBe(0.73);
    expect(fake!.requests[2]!.response_format).toBeUndefined();
    expect(fake!.requests[2]!.messages[1]!.content).toMatch(/JSON schema/);
  });
});
