// Runs a TypeScript file as a child process (Node strips the types) and lets a test wait for its lines.
import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export interface Child {
  process: ChildProcess;
  lines: string[];
  waitForLine(match: RegExp, timeoutMs?: number): Promise<string>;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

export function runChild(
  relativeToTest: string,
  env: Record<string, string>,
  options: { execArgv?: string[] } = {},
): Child {
  const file = fileURLToPath(new URL(`../${relativeToTest}`, import.meta.url));
  const child = spawn(process.execPath, [...(options.execArgv ?? []), file], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: string[] = [];
  const waiters: { match: RegExp; resolve: (l: string) => void }[] = [];
  let buffer = '';
  child.stdout!.on('data', (chunk: Buffer) => {
    buffer += chunk.toString();
    let i = buffer.indexOf('\n');
    while (i >= 0) {
      const line = buffer.slice(0, i);
      buffer = buffer.slice(i + 1);
      lines.push(line);
      for (const w of [...waiters]) {
        if (w.match.test(line)) {
          waiters.splice(waiters.indexOf(w), 1);
          w.resolve(line);
        }
      }
      i = buffer.indexOf('\n');
    }
  });
  let stderr = '';
  child.stderr!.on('data', (c: Buffer) => {
    stderr += c.toString();
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('exit', (code, signal) => resolve({ code, signal })),
  );
  return {
    process: child,
    lines,
    exited,
    waitForLine(match, timeoutMs = 60_000) {
      const seen = lines.find((l) => match.test(l));
      if (seen) return Promise.resolve(seen);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(
          () =>
            reject(
              new Error(`no line matching ${match} within ${timeoutMs} ms; stderr: ${stderr.slice(-2000)}`),
            ),
          timeoutMs,
        );
        waiters.push({
          match,
          resolve: (l) => {
            clearTimeout(timer);
            resolve(l);
          },
        });
        void exited.then(() => {
          clearTimeout(timer);
          reject(new Error(`child exited before printing ${match}; stderr: ${stderr.slice(-2000)}`));
        });
      });
    },
  };
}

/**
 * An evaluate invocation (fixtures/evaluate-child.ts) that stores its outcomes in PostgreSQL and is
 * SIGKILLed before its Kafka transaction commits. Resolves with how it exited.
 */
export async function crashEvaluatorAtCommit(o: {
  brokers: string[];
  databaseUrl: string;
  group: string;
  topics: { jobs: string; results: string; dlq: string };
  llmUrl: string;
}): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  const child = runChild('fixtures/evaluate-child.ts', {
    BROKERS: o.brokers.join(','),
    DATABASE_URL: o.databaseUrl,
    GROUP: o.group,
    JOBS: o.topics.jobs,
    RESULTS: o.topics.results,
    DLQ: o.topics.dlq,
    LLM_URL: o.llmUrl,
    CRASH_AT_COMMIT: '1',
  });
  await child.waitForLine(/^crashing$/);
  return child.exited;
}
