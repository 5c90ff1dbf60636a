// The console's only way to the server: the public API, with the user's own token.
// The token (and, for client-credential sign-ins, the secret that renews it) lives in this
// module's memory only: never in web storage or a cookie. Reloading the page signs out.

let session = null;
const listeners = new Set();

export class ApiError extends Error {
  constructor(status, problem) {
    super(problem && problem.detail || `HTTP ${status}`);
    this.status = status;
    this.title = problem && problem.title || `HTTP ${status}`;
    this.detail = problem && (problem.detail || problem.error_description || problem.error) || `HTTP ${status}`;
    this.errors = problem && problem.errors;
  }
}

export function current() {
  return session && { tenant: session.tenant, scopes: session.scopes, expiresAt: session.expiresAt, renews: !!session.secret, client: session.client };
}

export function onChange(fn) {
  listeners.add(fn);
  return () => listeners.delete(fn);
}

function changed() {
  for (const fn of listeners) fn(current());
}

/** The claims of a JWT (unverified: only to show who is signed in; the server verifies). */
export function claims(token) {
  const part = String(token).split('.')[1];
  if (!part) throw new Error('not a JWT (three dot-separated parts)');
  const b64 = part.replace(/-/g, '+').replace(/_/g, '/').padEnd(Math.ceil(part.length / 4) * 4, '=');
  const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
  return JSON.parse(new TextDecoder().decode(bytes));
}

function adopt(token, expiresIn, credentials) {
  clearTimeout(session && session.timer);
  const c = claims(token);
  const expiresAt = c.exp ? c.exp * 1000 : Date.now() + (expiresIn || 900) * 1000;
  session = {
    token, expiresAt, tenant: c.tenant || '?', scopes: String(c.scope || '').split(' ').filter(Boolean),
    client: credentials ? credentials.id : (c.sub || c.client_id || ''),
    id: credentials && credentials.id, secret: credentials && credentials.secret, timer: null,
  };
  if (session.secret) {
    // Renew a minute before expiry (a fifth of the lifetime before, for short ones).
    const lifetime = expiresAt - Date.now();
    const wait = Math.max(5_000, lifetime - Math.min(60_000, lifetime * 0.2));
    session.timer = setTimeout(() => renew().catch(() => {}), wait);
  }
  changed();
}

async function requestToken(id, secret) {
  const body = new URLSearchParams({ grant_type: 'client_credentials', client_id: id, client_secret: secret });
  const res = await fetch('/v1/auth/token', {
    method: 'POST', body, headers: { 'Content-Type': 'application/x-www-form-urlencoded', Accept: 'application/json' },
    credentials: 'omit', cache: 'no-store',
  });
  const json = await res.json().catch(() => null);
  if (!res.ok) throw new ApiError(res.status, json);
  return json;
}

/** Signs in with OAuth client credentials (`POST /v1/auth/token`). */
export async function signIn(id, secret) {
  const issued = await requestToken(id, secret);
  adopt(issued.access_token, issued.expires_in, { id, secret });
}

/** Uses a token obtained elsewhere (it cannot be renewed: sign in again when it expires). */
export function useToken(token) {
  const t = String(token).trim().replace(/^Bearer\s+/i, '');
  const c = claims(t);
  if (c.exp && c.exp * 1000 <= Date.now()) throw new Error('this token has expired');
  adopt(t, null, null);
}

export async function renew() {
  if (!session || !session.secret) return;
  const { id, secret } = session;
  const issued = await requestToken(id, secret);
  adopt(issued.access_token, issued.expires_in, { id, secret });
}

export function signOut() {
  if (session) clearTimeout(session.timer);
  session = null;
  changed();
}

function path(p, query) {
  if (!query) return p;
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) {
    if (v === undefined || v === null || v === '') continue;
    q.set(k, String(v));
  }
  const text = q.toString().replace(/\+/g, '%20');
  return text ? `${p}?${text}` : p;
}

/** Calls the API; answers the parsed JSON or throws an ApiError carrying the problem. */
export async function call(method, p, { query, body, signal } = {}) {
  if (!session) throw new ApiError(401, { title: 'Unauthorized', detail: 'sign in first' });
  if (session.secret && session.expiresAt - Date.now() < 30_000) await renew();
  const send = () => fetch(path(p, query), {
    method, signal, credentials: 'omit', cache: 'no-store',
    headers: { Authorization: `Bearer ${session.token}`, Accept: 'application/json', ...(body ? { 'Content-Type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  let res = await send();
  if (res.status === 401 && session && session.secret) {
    await renew();
    res = await send();
  }
  const json = await res.json().catch(() => null);
  if (!res.ok) {
    if (res.status === 401 && !(session && session.secret)) signOut();
    throw new ApiError(res.status, json);
  }
  return json;
}

export const get = (p, query, opts = {}) => call('GET', p, { ...opts, query });
export const post = (p, body, opts = {}) => call('POST', p, { ...opts, body });

/** `POST /v1/events/aggregate`. */
export const aggregate = (body, opts) => post('/v1/events/aggregate', body, opts);

/** Path segment encoding for ids (API.md: reserved characters percent-encoded). */
export const seg = (s) => encodeURIComponent(s);
