// A local OpenAI-compatible HTTP server for tests: the real provider code talks to it over HTTP.
// Each request is answered by the next behaviour in the script (the last one repeats).
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export type Behaviour =
  | { kind: 'answer'; content: (step: string, body: ChatBody) => string }
  | { kind: 'status'; status: number; retryAfter?: string; message?: string }
  | { kind: 'hang' };

export interface ChatBody {
  model: string;
  messages: { role: string; content: string }[];
  response_format?: { type: string; json_schema?: { name: string } };
}

export interface FakeLlm {
  url: string;
  requests: ChatBody[];
  script: Behaviour[];
  close(): Promise<void>;
}

/** Which pipeline step a request is for, read from its prompt. */
export function stepOf(body: ChatBody): 'cv' | 'project' | 'summary' {
  const user = body.messages.find((m) => m.role === 'user')?.content ?? '';
  if (user.includes('## Candidate CV')) return 'cv';
  if (user.includes('## Project report')) return 'project';
  return 'summary';
}

/** Turns scores into the answer shape the pipeline asks for: a score and verbatim quotes per parameter. */
export function withEvidence(scores: Record<string, number>, quotes: string[] = []) {
  return Object.fromEntries(Object.entries(scores).map(([k, score]) => [k, { score, evidence: quotes }]));
}

export function goodAnswer(step: string): string {
  if (step === 'cv') {
    return JSON.stringify({
      parameters: withEvidence({
        technical_skills: 4,
        experience_level: 3,
        relevant_achievements: 5,
        cultural_fit: 2,
      }),
      feedback: 'Strong Kafka and PostgreSQL experience; little evidence of teamwork.',
    });
  }
  if (step === 'project') {
    return JSON.stringify({
      parameters: withEvidence({
        correctness: 4,
        code_quality: 3,
        resilience: 2,
        documentation: 5,
        creativity: 1,
      }),
      feedback: 'Implements the brief; resilience is thin; documentation is excellent.',
    });
  }
  return JSON.stringify({
    overall_summary:
      'The candidate fits the role well. The project meets the brief. Resilience needs work. Recommended for interview.',
  });
}

async function readBody(req: IncomingMessage): Promise<string> {
  let data = '';
  for await (const chunk of req) data += chunk;
  return data;
}

/** `router` picks a behaviour from the request itself (e.g. by CV text); the script is the fallback. */
export async function startFakeLlm(
  script: Behaviour[],
  router?: (body: ChatBody) => Behaviour | undefined,
): Promise<FakeLlm> {
  const requests: ChatBody[] = [];
  const fake: FakeLlm = { url: '', requests, script, close: async () => {} };
  const server: Server = createServer(async (req, res) => {
    const body = JSON.parse(await readBody(req)) as ChatBody;
    requests.push(body);
    const behaviour = router?.(body) ?? (fake.script.length > 1 ? fake.script.shift()! : fake.script[0]!);
    if (behaviour.kind === 'hang') return; // never answers: the client's timeout must fire
    if (behaviour.kind === 'status') {
      res.writeHead(behaviour.status, {
        'content-type': 'application/json',
        ...(behaviour.retryAfter ? { 'retry-after': behaviour.retryAfter } : {}),
      });
      res.end(
        JSON.stringify({
          error: { message: behaviour.message ?? `status ${behaviour.status}`, type: 'test' },
        }),
      );
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(
      JSON.stringify({
        id: `chatcmpl-${requests.length}`,
        object: 'chat.completion',
        created: Math.floor(Date.now() / 1000),
        model: body.model,
        choices: [
          {
            index: 0,
            finish_reason: 'stop',
            message: { role: 'assistant', content: behaviour.content(stepOf(body), body) },
          },
        ],
        usage: { prompt_tokens: 100, completion_tokens: 20, total_tokens: 120 },
      }),
    );
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  fake.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
  fake.close = () =>
    new Promise<void>((r) => {
      server.closeAllConnections();
      server.close(() => r());
    });
  return fake;
}
