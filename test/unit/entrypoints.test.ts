// A bad environment value stops each function before it touches anything, with exit code 78
// (EX_CONFIG: job platforms should not retry) and a message naming the variable.
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';

const root = new URL('../../', import.meta.url);

describe('entrypoints refuse a bad configuration', () => {
  for (const fn of ['submit', 'evaluate', 'notify']) {
    it(`${fn}: exit 78 naming the variable`, () => {
      const r = spawnSync(process.execPath, [`functions/${fn}/index.ts`], {
        cwd: root,
        env: { ...process.env, PORT: 'eighty', KAFKA_BROKERS: 'no-port', OTEL_SDK_DISABLED: 'true' },
        encoding: 'utf8',
        timeout: 30_000,
      });
      expect(r.status).toBe(78);
      expect(r.stderr).toContain('PORT must be an integer between 1 and 65535 (got "eighty")');
      expect(r.stderr).toContain('KAFKA_BROKERS must be a comma-separated list of host:port');
      // loading the entrypoint's modules takes seconds on a busy machine; spawnSync's own limit rules
    }, 40_000);
  }
});
