// Console sign-in state: an HttpOnly, SameSite=Strict cookie naming a server-side session (see
// lib/db/console-sessions.ts), and CSRF protection for every unsafe request — the Origin /
// Sec-Fetch-Site check of hono/csrf plus a per-session token in each form (or the X-CSRF-Token header).
import { timingSafeEqual } from 'node:crypto';
import type { Context, MiddlewareHandler } from 'hono';
import { deleteCookie, getCookie, setCookie } from 'hono/cookie';
import { csrf } from 'hono/csrf';
import { HTTPException } from 'hono/http-exception';
import { type ConsoleSession, findConsoleSession } from '../db/console-sessions.ts';
import type { Database } from '../db/database.ts';

export type ConsoleEnv = { Variables: { session: ConsoleSession; sessionToken: string } };

/** https here or at the proxy in front (X-Forwarded-Proto): the only case a Secure cookie round-trips. */
export function isHttps(c: Context): boolean {
  const forwarded = c.req.header('x-forwarded-proto')?.split(',')[0]?.trim().toLowerCase();
  return forwarded ? forwarded === 'https' : new URL(c.req.url).protocol === 'https:';
}

/** `__Host-` pins the cookie to this origin and path /, but browsers accept it only with Secure. */
const cookieName = (c: Context) => (isHttps(c) ? '__Host-cve_session' : 'cve_session');

export function setSessionCookie(c: Context, token: string, maxAgeSeconds: number): void {
  setCookie(c, cookieName(c), token, {
    httpOnly: true,
    sameSite: 'Strict',
    secure: isHttps(c),
    path: '/',
    maxAge: maxAgeSeconds,
  });
}

export function clearSessionCookie(c: Context): void {
  deleteCookie(c, cookieName(c), { path: '/', secure: isHttps(c) });
}

export const sessionToken = (c: Context) => getCookie(c, cookieName(c));

/** The origin the browser used: behind a TLS-terminating proxy the request URL says http. */
function publicOrigin(c: Context): string {
  const url = new URL(c.req.url);
  const host = c.req.header('x-forwarded-host') ?? c.req.header('host') ?? url.host;
  return `${isHttps(c) ? 'https' : 'http'}://${host}`;
}

/**
 * Rejects cross-site form posts before any handler runs (hono/csrf: Origin or Sec-Fetch-Site), with a
 * 403 page in words rather than the API's problem document.
 */
export function sameOrigin(): MiddlewareHandler {
  const check = csrf({ origin: (origin, c) => origin === publicOrigin(c), secFetchSite: 'same-origin' });
  return async (c, next) => {
    try {
      return await check(c, next);
    } catch (err) {
      if (err instanceof HTTPException && err.status === 403) {
        return c.text('This form did not come from this console, so it was not accepted.', 403);
      }
      throw err;
    }
  };
}

function sameToken(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/**
 * Loads the session or sends the browser to sign in (pages) / answers 401 (fragments and XHR). On
 * unsafe methods also demands the session's CSRF token, from the form field `_csrf` or the header.
 */
export function requireSession(db: Database): MiddlewareHandler<ConsoleEnv> {
  return async (c, next) => {
    const token = sessionToken(c);
    const session = token ? await findConsoleSession(db, token) : undefined;
    const partial = c.req.header('hx-request') === 'true' || c.req.header('x-requested-with') === 'fetch';
    if (!session || !token) {
      if (token) clearSessionCookie(c);
      if (partial || c.req.method !== 'GET') return c.text('Your session has ended. Sign in again.', 401);
      const back = new URL(c.req.url).pathname;
      return c.redirect(`/app/sign-in?next=${encodeURIComponent(back)}`, 303);
    }
    if (!['GET', 'HEAD'].includes(c.req.method)) {
      let sent = c.req.header('x-csrf-token');
      if (!sent) {
        const type = c.req.header('content-type') ?? '';
        if (type.startsWith('application/x-www-form-urlencoded')) {
          const form = await c.req.parseBody();
          sent = typeof form._csrf === 'string' ? form._csrf : undefined;
        }
      }
      if (!sent || !sameToken(sent, session.csrfToken)) {
        return c.text(
          'This form has expired or did not come from this console. Reload the page and try again.',
          403,
        );
      }
    }
    c.set('session', session);
    c.set('sessionToken', token);
    c.header('cache-control', 'no-store');
    await next();
  };
}
