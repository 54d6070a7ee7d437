// /docs: the Scalar API reference, with its script served from our origin (lib/console/assets.ts) and
// without Scalar's web fonts, so the page renders with no network beyond this server.
//
// The page around Scalar is ours, not @scalar/hono-api-reference's: that helper's page has no `lang`
// on <html> (axe: html-has-lang) and no way to add one. Scalar's own colours fail WCAG AA contrast in
// places (grey placeholder and meta text, the coloured HTTP-method badges, code-sample tokens); the
// overrides are in assets/docs.css, passed as Scalar's `customCss`. The developer tools it shows on
// localhost ("Generate SDK", the AI agent) are turned off: they need Scalar's hosted services.
import { readFileSync } from 'node:fs';
import type { Hono } from 'hono';
import { html, raw } from 'hono/html';

const customCss = readFileSync(new URL('./assets/docs.css', import.meta.url), 'utf8');

const config = {
  url: '/openapi.json',
  theme: 'default',
  withDefaultFonts: false,
  telemetry: false,
  showDeveloperTools: 'never',
  agent: { disabled: true },
  mcp: { disabled: true },
  customCss,
};

/** The configuration as a script literal: JSON, with `<` escaped so no `</script>` can end the tag. */
const configScript = JSON.stringify(config).replace(/</g, '\\u003c');

const docsPage = html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>API reference · cv-evaluator</title>
</head>
<body>
<div id="app"></div>
<script src="/assets/scalar.js"></script>
<script>Scalar.createApiReference('#app', ${raw(configScript)});</script>
</body>
</html>`;

export function mountDocs(app: Hono): void {
  app.get('/docs', (c) => c.html(docsPage));
}
