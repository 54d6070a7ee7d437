// /docs: the Scalar API reference, with its script served from our origin (lib/console/assets.ts) and
// without Scalar's web fonts, so the page renders with no network beyond this server.
import { Scalar } from '@scalar/hono-api-reference';
import type { Hono } from 'hono';

export function mountDocs(app: Hono): void {
  app.get(
    '/docs',
    Scalar({
      url: '/openapi.json',
      pageTitle: 'cv-evaluator API',
      cdn: '/assets/scalar.js',
      withDefaultFonts: false,
      telemetry: false,
    } as Parameters<typeof Scalar>[0]),
  );
}
