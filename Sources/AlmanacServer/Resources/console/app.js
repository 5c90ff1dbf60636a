// The console's shell: sign-in, navigation between pages (hash routes), the session bar.
import * as api from './api.js';
import { h, field, errorBox, replace, parseHash } from './dom.js';
import * as search from './search.js';
import * as timeline from './timeline.js';
import * as analytics from './analytics.js';
import * as entity from './entity.js';

const pages = { search, timeline, analytics, entity };
const main = document.getElementById('main');
const nav = document.getElementById('nav');
const sessionBox = document.getElementById('session');
const who = document.getElementById('session-who');
const notice = document.getElementById('notice');
let unmount = null;
let mountedHash = null;

function signInPage() {
  const idInput = h('input', { 'data-testid': 'signin-id', name: 'client_id', autocomplete: 'username', required: true, spellcheck: 'false' });
  const secretInput = h('input', { 'data-testid': 'signin-secret', name: 'client_secret', type: 'password', autocomplete: 'current-password', required: true });
  const status = h('div', { class: 'form-status', 'aria-live': 'polite' });
  const submit = h('button', { type: 'submit', 'data-testid': 'signin-submit', class: 'primary' }, 'Sign in');
  const form = h('form', {
    class: 'card signin', 'aria-labelledby': 'signin-title',
    onsubmit: async (e) => {
      e.preventDefault();
      submit.disabled = true;
      replace(status, 'Signing in…');
      try {
        await api.signIn(idInput.value.trim(), secretInput.value);
        secretInput.value = '';
      } catch (err) {
        replace(status, errorBox(err));
      } finally {
        submit.disabled = false;
      }
    },
  },
  h('h1', { id: 'signin-title' }, 'Sign in'),
  h('p', { class: 'muted' }, 'With an OAuth client of your tenant (', h('code', {}, 'almanac client create'), '). The token stays in this page\'s memory and is renewed before it expires; reloading the page signs you out.'),
  field('Client id', idInput),
  field('Client secret', secretInput),
  submit, status);

  const tokenInput = h('textarea', { 'data-testid': 'signin-token', rows: 3, spellcheck: 'false', placeholder: 'eyJhbGciOiJFUzI1NiIs…' });
  const tokenStatus = h('div', { class: 'form-status', 'aria-live': 'polite' });
  const tokenForm = h('form', {
    class: 'card signin',
    onsubmit: (e) => {
      e.preventDefault();
      try { api.useToken(tokenInput.value); tokenInput.value = ''; } catch (err) { replace(tokenStatus, errorBox(err)); }
    },
  },
  h('h2', {}, 'Or paste a token'),
  field('Bearer token', tokenInput, 'A pasted token is not renewed: sign in again when it expires.'),
  h('button', { type: 'submit', 'data-testid': 'signin-token-submit' }, 'Use token'), tokenStatus);

  return h('div', { class: 'signin-page' }, form, tokenForm);
}

function showSession(s) {
  nav.hidden = !s;
  sessionBox.hidden = !s;
  if (s) {
    who.textContent = `tenant ${s.tenant}`;
    who.title = `client ${s.client || '?'} · scopes: ${s.scopes.join(' ')} · token ${s.renews ? 'renewed automatically' : 'pasted, expires'} ${new Date(s.expiresAt).toLocaleTimeString()}`;
  }
}

function route() {
  const s = api.current();
  showSession(s);
  if (unmount) { unmount(); unmount = null; }
  if (!s) {
    mountedHash = null;
    replace(main, signInPage());
    document.title = 'Sign in · Almanac console';
    return;
  }
  const { page, parts, params } = parseHash(location.hash);
  const module = pages[page] || search;
  for (const a of nav.querySelectorAll('a')) {
    if (a.dataset.page === (page === 'entity' ? 'timeline' : page)) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
  const container = h('div', { class: `page page-${page}` });
  replace(main, container);
  mountedHash = location.hash;
  document.title = `${module.title || 'Almanac'} · Almanac console`;
  unmount = module.mount(container, { parts, params, navigate }) || null;
}

/** Changes the route; `replaceState` keeps the history clean for in-page state changes. */
export function navigate(hash, { replaceOnly = false } = {}) {
  if (replaceOnly) {
    history.replaceState(null, '', hash);
    mountedHash = hash;
    return;
  }
  if (location.hash === hash) route(); else location.hash = hash;
}

window.addEventListener('hashchange', () => {
  if (location.hash !== mountedHash) route();
});

document.getElementById('signout').addEventListener('click', () => api.signOut());

let wasSignedIn = false;
api.onChange((s) => {
  if (!!s !== wasSignedIn) {
    wasSignedIn = !!s;
    route();
    if (s) main.focus();
  } else {
    showSession(s);
  }
});

// A token that can no longer be renewed: say so.
setInterval(() => {
  const s = api.current();
  if (s && !s.renews && s.expiresAt - Date.now() < 60_000) {
    notice.hidden = false;
    notice.textContent = s.expiresAt < Date.now() ? 'Your pasted token has expired: sign in again.' : 'Your pasted token expires within a minute.';
  } else {
    notice.hidden = true;
  }
}, 10_000);

route();
