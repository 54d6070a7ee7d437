// Instance ids name the request-side transactional ids: two live processes that share one fence each
// other's producers (every publish then fails with 503). Without INSTANCE_ID, processes on one host —
// or Cloud Run instances, whose hostname is "localhost" — must still get different ids.
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../lib/config.ts';

const run = promisify(execFile);
const fixture = fileURLToPath(new URL('../fixtures/print-instance-id.ts', import.meta.url));

describe('default instance id', () => {
  it('two processes on one host get different ids, both valid transactional-id parts', async () => {
    const env = { ...process.env, INSTANCE_ID: '' };
    delete (env as Record<string, string | undefined>).INSTANCE_ID;
    const [a, b] = await Promise.all([
      run(process.execPath, [fixture], { env }),
      run(process.execPath, [fixture], { env }),
    ]);
    const ids = [a.stdout.trim(), b.stdout.trim()];
    expect(ids[0]).not.toBe(ids[1]);
    for (const id of ids) expect(id).toMatch(/^[A-Za-z0-9._-]{1,100}$/);
  }, 30_000);

  it('an explicit INSTANCE_ID is kept as given', () => {
    expect(loadConfig({ INSTANCE_ID: 'pod-7' }).instanceId).toBe('pod-7');
  });
});
