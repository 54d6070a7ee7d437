// The metered provider: an OpenAI-compatible server the verifier runs itself, so every call the
// evaluators pay for is counted outside them. Answers well-formed scores after a delay; a CV carrying
// the doomed marker is always answered 500, so its job must give up (failed, exactly one DLQ record).
import { createServer, type Server } from 'node:http';
import { type ChatBody, goodAnswer, stepOf } from '../helpers/fake-llm.ts';

export const DOOMED_MARKER = 'VERIFIER-DOOMED-CANDIDATE';

export interface MeteredProvider {
  url: string;
  /** calls per step for ordinary jobs; the cv step runs exactly once per evaluation */
  calls: Record<string, number>;
  doomedCalls: number;
  close(): Promise<void>;
}

export async function startMeteredProvider(delayMs: number): Promise<MeteredProvider> {
  const calls: Record<string, number> = {};
  const metered: MeteredProvider = { url: '', calls, doomedCalls: 0, close: async () => {} };
  const server: Server = createServer(async (req, res) => {
    let data = '';
    for await (const chunk of req) data += chunk;
    let body: ChatBody;
    try {
      body = JSON.parse(data) as ChatBody;
    } catch {
      res.writeHead(400).end();
      return;
    }
    const prompt = body.messages.map((m) => m.content).join('\n');
    if (prompt.includes(DOOMED_MARKER)) {
      metered.doomedCalls += 1;
      res.writeHead(500, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify({ error: { message: 'the verifier dooms this candidate', type: 'server_error' } }),
      );
      return;
    }
    const step = stepOf(body);
    calls[step] = (calls[step] ?? 0) + 1;
    if (delayMs > 0) await new Promise((r) => setTimeout(r, delayMs));
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(
      JSON.stringify({
        id: `chatcmpl-${calls[step]}`,
        object: 'chat.completion',
        created: Math.floor(Date.now() / 1000),
        model: body.model,
        choices: [
          { index: 0, finish_reason: 'stop', message: { role: 'assistant', content: goodAnswer(step) } },
        ],
        usage: { prompt_tokens: 100, completion_tokens: 20, total_tokens: 120 },
      }),
    );
  });
  server.keepAliveTimeout = 30_000;
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  metered.url = `http://127.0.0.1:${(server.address() as { port: number }).port}/v1`;
  metered.close = () =>
    new Promise<void>((r) => {
      server.closeAllConnections();
      server.close(() => r());
    });
  return metered;
}
