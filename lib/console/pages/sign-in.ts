import { html } from 'hono/html';
import { page } from '../layout.ts';

export function signInPage(o: { next: string; error?: string; signedOut?: boolean }) {
  return page(
    'Sign in',
    html`<form class="card narrow" method="post" action="/app/sign-in">
  <p>Sign in with your organisation's API key. The key is checked once and never stored in your browser;
  a session cookie (HttpOnly, valid for 8 hours) keeps you signed in.</p>
  ${o.signedOut ? html`<p class="notice" role="status">You have signed out.</p>` : ''}
  ${o.error ? html`<p class="error" role="alert" id="key-error">${o.error}</p>` : ''}
  <input type="hidden" name="next" value="${o.next}">
  <label for="api-key">API key</label>
  <input id="api-key" name="api_key" type="password" autocomplete="off" required spellcheck="false"
    ${o.error ? html`aria-invalid="true" aria-describedby="key-error"` : ''} autofocus>
  <button type="submit">Sign in</button>
</form>`,
  );
}
