// The entrypoints' module hooks: they answer drizzle-orm's module look-ups (not Node), they give the
// program the very same modules, and the packages they trust are still flat ESM.
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { FLAT_ESM_PACKAGES } from '../../lib/util/module-hooks.ts';

const root = fileURLToPath(new URL('../../', import.meta.url));
const hooks = new URL('../../lib/util/module-hooks.ts', import.meta.url).href;

/** Loads drizzle-orm's pg-core and postgres-js in a fresh Node, with or without the hooks. */
function load(withHooks: boolean): { exports: string[]; resolvedHere: number } {
  const program = `
    import { installModuleHooks, moduleHookStats } from '${hooks}';
    if (${withHooks}) installModuleHooks();
    const pg = await import('drizzle-orm/pg-core');
    const pj = await import('drizzle-orm/postgres-js');
    const orm = await import('drizzle-orm');
    const exports = [...Object.keys(pg), ...Object.keys(pj), ...Object.keys(orm)].sort();
    console.log(JSON.stringify({ exports, resolvedHere: moduleHookStats().resolvedHere }));
  `;
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', program], {
    cwd: root,
    encoding: 'utf8',
    timeout: 60_000,
  });
  expect(r.stderr).toBe('');
  expect(r.status).toBe(0);
  return JSON.parse(r.stdout.trim().split('\n').pop()!);
}

describe('module hooks', () => {
  it('resolve drizzle-orm without Node and give the same modules', () => {
    const plain = load(false);
    const hooked = load(true);
    expect(plain.resolvedHere).toBe(0);
    // pg-core alone is ~200 modules; every relative import among them is answered by the hooks
    expect(hooked.resolvedHere).toBeGreaterThan(150);
    expect(hooked.exports).toEqual(plain.exports);
    expect(hooked.exports).toContain('pgTable');
  }, 120_000);

  it('trust only packages that are still flat ESM (one package.json, "type": "module")', () => {
    for (const name of FLAT_ESM_PACKAGES) {
      const dir = join(root, 'node_modules', name);
      const manifest = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { type?: string };
      expect(manifest.type).toBe('module');
      // (a dependency installed inside it would not be trusted: the hooks stop at a nested node_modules)
      const manifests = readdirSync(dir, { recursive: true, encoding: 'utf8' }).filter((f) =>
        f.endsWith('package.json'),
      );
      expect(manifests).toEqual(['package.json']);
    }
  });
});
