// Why a function's cold start made 150 MB of garbage: to learn whether a `.js` module is ESM, Node 24
// reads its package scope, and that read (`getPackageScopeConfig`) spreads the package.json's lazily
// parsed `exports` map, so the whole map is JSON-parsed again for every module, twice (resolve, then
// load). drizzle-orm's map is 180 KB and `drizzle-orm/pg-core` alone loads ~200 of its modules: about
// 150 MB of garbage and seconds of CPU per cold start, and the RSS high-water mark keeps the heap it
// grew. These hooks answer those look-ups for packages whose every `.js` file is ESM (a single
// package.json, at the root, with `"type": "module"`), and leave every other module to Node.
import { readFileSync } from 'node:fs';
import { registerHooks } from 'node:module';

/** Packages known to be flat ESM (`test/unit/module-hooks.test.ts` checks that they still are). */
export const FLAT_ESM_PACKAGES = ['drizzle-orm'] as const;

const stats = { resolvedHere: 0 };

/** How many resolutions the hooks answered without Node's package scope look-up (for tests). */
export function moduleHookStats(): Readonly<typeof stats> {
  return stats;
}

/** The package's root directory URL (ending in `/`) when it is ESM, else undefined. */
function esmRoot(name: string): string | undefined {
  let entry: string;
  try {
    entry = import.meta.resolve(name);
  } catch {
    return undefined; // not installed: nothing to speed up
  }
  const marker = `/node_modules/${name}/`;
  const at = entry.lastIndexOf(marker);
  if (at < 0) return undefined;
  const root = entry.slice(0, at + marker.length);
  try {
    const manifest = JSON.parse(readFileSync(new URL('package.json', root), 'utf8')) as { type?: string };
    return manifest.type === 'module' ? root : undefined;
  } catch {
    return undefined; // unreadable: leave it to Node (a speed-up must never stop a function starting)
  }
}

let installed = false;

/**
 * Installs the hooks (once per process). Must run before the modules it should speed up are resolved:
 * an entrypoint calls it, then loads the rest of the program with a dynamic `import()`.
 */
export function installModuleHooks(packages: readonly string[] = FLAT_ESM_PACKAGES): void {
  if (installed) return;
  installed = true;
  const roots = packages.map(esmRoot).filter((r): r is string => r !== undefined);
  if (roots.length === 0) return;
  // a package's own files only: not those of a dependency installed inside it
  const inFlatPackage = (url: string) =>
    url.endsWith('.js') &&
    roots.some((root) => url.startsWith(root) && !url.includes('/node_modules/', root.length));
  // a bare specifier resolves to the same file from any module outside node_modules (one install)
  const bare = new Map<string, { url: string; format?: string | null }>();

  registerHooks({
    resolve(specifier, context, nextResolve) {
      const parent = context.parentURL;
      if (parent && (specifier.startsWith('./') || specifier.startsWith('../')) && inFlatPackage(parent)) {
        const url = new URL(specifier, parent).href;
        if (inFlatPackage(url)) {
          stats.resolvedHere += 1;
          return { url, format: 'module', shortCircuit: true };
        }
      }
      const cacheable =
        parent !== undefined &&
        !parent.includes('/node_modules/') &&
        packages.some((p) => specifier === p || specifier.startsWith(`${p}/`));
      if (!cacheable) return nextResolve(specifier, context);
      const key = `${specifier}\0${(context.conditions ?? []).join(',')}`;
      const known = bare.get(key);
      if (known) {
        stats.resolvedHere += 1;
        return { ...known, shortCircuit: true };
      }
      const resolved = nextResolve(specifier, context);
      bare.set(key, { url: resolved.url, format: resolved.format });
      return resolved;
    },
    load(url, context, nextLoad) {
      if (context.format == null && inFlatPackage(url))
        return nextLoad(url, { ...context, format: 'module' });
      return nextLoad(url, context);
    },
  });
}
