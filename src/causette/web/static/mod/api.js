// REST calls of the moderation console (docs/moderation.md, "Moderator endpoints"). The login
// token lives in sessionStorage: it dies with the tab, and a reload keeps it. Any 401 on an
// authenticated call means the session expired (8 h, or 30 min idle): the token is dropped and
// the console goes back to its login form.

const TOKEN_KEY = 'causette.mod.session.v1';

export class ModApiError extends Error {
  constructor(status, code, message, body = null) {
    super(message || code);
    this.status = status;
    this.code = code;
    this.body = body;
  }
}

let session = readSession();
let onUnauthorized = () => {};

function readSession() {
  try {
    const raw = sessionStorage.getItem(TOKEN_KEY);
    const s = raw ? JSON.parse(raw) : null;
    return s && typeof s.token === 'string' ? s : null;
  } catch {
    return null;
  }
}

export function getSession() {
  return session;
}

export function setSession(value) {
  session = value;
  try {
    if (value) sessionStorage.setItem(TOKEN_KEY, JSON.stringify(value));
    else sessionStorage.removeItem(TOKEN_KEY);
  } catch {
    // Storage disabled: the session lasts as long as the page.
  }
}

export function setUnauthorizedHandler(fn) {
  onUnauthorized = fn;
}

async function request(method, path, body, { auth = true } = {}) {
  const headers = { Accept: 'application/json' };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  if (auth && session) headers.Authorization = `Bearer ${session.token}`;
  let res;
  try {
    res = await fetch(path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      cache: 'no-store',
      credentials: 'omit',
    });
  } catch {
    throw new ModApiError(0, 'network', '');
  }
  if (res.status === 204) return null;
  let data = null;
  try {
    data = await res.json();
  } catch {
    data = null;
  }
  if (!res.ok) {
    const err = (data && data.error) || {};
    const error = new ModApiError(res.status, err.code || `http_${res.status}`, err.message || '', err);
    if (res.status === 401 && auth && session) {
      setSession(null);
      onUnauthorized(error);
    }
    throw error;
  }
  return data;
}

const enc = encodeURIComponent;

export const login = (name, password, code) =>
  request('POST', '/api/v1/mod/login', { name, password, code }, { auth: false });
export const logout = () => request('POST', '/api/v1/mod/logout');
export const me = () => request('GET', '/api/v1/mod/me');
export const grounds = () => request('GET', '/api/v1/mod/grounds');
export const categories = () => request('GET', '/api/v1/report-categories', undefined, { auth: false });
export const queue = (limit = 100) => request('GET', `/api/v1/mod/queue?limit=${limit}`);
export const getCase = (id) => request('GET', `/api/v1/mod/cases/${enc(id)}`);
export const act = (id, body) => request('POST', `/api/v1/mod/cases/${enc(id)}/actions`, body);
export const exportCase = (id) => request('POST', `/api/v1/mod/cases/${enc(id)}/export`, {});
export const appeals = () => request('GET', '/api/v1/mod/appeals');
export const decideAppeal = (id, outcome, reply) =>
  request('POST', `/api/v1/mod/appeals/${enc(id)}`, { outcome, reply });
export const audit = (limit = 50) => request('GET', `/api/v1/mod/audit?limit=${limit}`);
