// The page shell: skip link, header, navigation, main landmark. Pages are hono/html tagged templates
// (interpolations are escaped), so no JSX transform and no build step: Node's type stripping runs them.
import { createHash } from 'node:crypto';
import { html } from 'hono/html';
import type { HtmlEscapedString } from 'hono/utils/html';

export type Html = HtmlEscapedString | Promise<HtmlEscapedString>;

export interface Nav {
  current: string;
  csrfToken: string;
  clientName: string;
  positions: boolean;
}

const links = (nav: Nav) =>
  [
    ['/app', 'Dashboard'],
    ['/app/candidates', 'Candidates'],
    ['/app/jobs', 'Jobs'],
    ...(nav.positions ? [['/app/positions', 'Positions']] : []),
    ['/docs', 'API reference'],
  ] as const;

export function page(title: string, body: Html, nav?: Nav): Html {
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title} · cv-evaluator</title>
<link rel="stylesheet" href="/assets/console.css">
<script src="/assets/htmx.js" defer></script>
<script src="/assets/console.js" defer></script>
</head>
<body>
<a class="skip" href="#main">Skip to content</a>
<header class="top">
  <a class="brand" href="/app">cv-evaluator</a>
  ${
    nav
      ? html`<nav aria-label="Main">
    <ul>${links(nav).map(
      ([href, label]) =>
        html`<li><a href="${href}"${nav.current === href ? html` aria-current="page"` : ''}>${label}</a></li>`,
    )}</ul>
  </nav>
  <form class="signout" method="post" action="/app/sign-out">
    <input type="hidden" name="_csrf" value="${nav.csrfToken}">
    <span class="who">Signed in as <strong>${nav.clientName}</strong></span>
    <button type="submit">Sign out</button>
  </form>`
      : ''
  }
</header>
<main id="main" tabindex="-1">
<h1>${title}</h1>
${body}
</main>
</body>
</html>`;
}

export const when = (iso: Date | string) => {
  const d = typeof iso === 'string' ? new Date(iso) : iso;
  return html`<time datetime="${d.toISOString()}">${d.toISOString().replace('T', ' ').slice(0, 19)} UTC</time>`;
};

export const statusBadge = (status: string) =>
  html`<span class="badge badge-${status}" data-status="${status}">${status}</span>`;

/**
 * A short digest of what a polled fragment shows. The fragment asks again with `seen=<digest>`; when
 * nothing changed the answer is 204 and htmx leaves the DOM alone, so keyboard focus and screen-reader
 * position inside the fragment survive the polling.
 */
export const digest = (data: unknown) =>
  createHash('sha256').update(JSON.stringify(data)).digest('base64url').slice(0, 16);
