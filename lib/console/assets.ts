// Static files of the console, served from our own origin (no CDN: the console and /docs work offline).
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { Hono } from 'hono';

const here = (name: string) => new URL(`./assets/${name}`, import.meta.url);
const require = createRequire(import.meta.url);

const files: Record<string, { path: URL | string; type: string; immutable?: boolean }> = {
  'console.css': { path: here('console.css'), type: 'text/css; charset=utf-8' },
  'console.js': { path: here('console.js'), type: 'text/javascript; charset=utf-8' },
  'htmx.js': { path: require.resolve('htmx.org/dist/htmx.min.js'), type: 'text/javascript; charset=utf-8' },
  // The single-file browser build of @scalar/api-reference (a dependency). Its package exports do not
  // list the file, so it is found from the package's own directory.
  'scalar.js': {
    path: scalarStandalone(),
    type: 'text/javascript; charset=utf-8',
    immutable: true,
  },
};

function scalarStandalone(): string {
  const main = require.resolve('@scalar/api-reference');
  const root = main.slice(0, main.lastIndexOf('/dist/'));
  return `${root}/dist/browser/standalone.js`;
}

/** GET /assets/<name>: read once, then served from memory. */
export function mountAssets(app: Hono): void {
  const cache = new Map<string, Buffer>();
  app.get('/assets/:name', (c) => {
    const name = c.req.param('name');
    const file = files[name];
    if (!file) return c.notFound();
    let body = cache.get(name);
    if (!body) {
      body = readFileSync(file.path);
      cache.set(name, body);
    }
    c.header('content-type', file.type);
    c.header('x-content-type-options', 'nosniff');
    c.header('cache-control', file.immutable ? 'public, max-age=86400' : 'no-cache');
    return c.body(new Uint8Array(body));
  });
}
