// The verifier's crash count: a process that dies on its own is counted; one that says why it fails, one
// that ends well and one the verifier kills are not.
import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { onCrash } from '../verifier/processes.ts';

async function crashed(script: string, kill?: NodeJS.Signals): Promise<boolean> {
  const child = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'ignore'] });
  let counted = false;
  onCrash(child, () => {
    counted = true;
  });
  if (kill) setTimeout(() => child.kill(kill), 200);
  await new Promise((r) => child.on('close', r));
  return counted;
}

const said = (msg: string) =>
  `process.stdout.write(JSON.stringify({ level: 30, msg: ${JSON.stringify(msg)} }) + '\\n');`;

describe('verifier crash count', () => {
  it('an uncaught exception thrown from a timer is a crash', async () => {
    expect(await crashed('setImmediate(() => { null.write })')).toBe(true);
  });
  it('an unhandled rejection is a crash', async () => {
    expect(await crashed("Promise.reject(new Error('x'))")).toBe(true);
  });
  it('a failure the process reports ("invocation failed", "invocation finished" then exit 1) is not', async () => {
    expect(await crashed(`${said('invocation failed')} process.exit(1)`)).toBe(false);
    expect(await crashed(`${said('invocation finished')} process.exit(1)`)).toBe(false);
  });
  it('a clean exit is not, nor a kill by signal', async () => {
    expect(await crashed('process.exit(0)')).toBe(false);
    expect(await crashed('setInterval(() => {}, 1000)', 'SIGKILL')).toBe(false);
  });
});
