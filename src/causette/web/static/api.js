// REST calls (docs/protocol.md, "REST"). Every refusal becomes an ApiError carrying the server's
// stable code and its French message; a 401 on an authenticated call also tells the app, which
// goes back to the entry form.

export class ApiError extends Error {
  // `details` is the whole error object of the body: some refusals carry more than a code, such
  // as the statement id of a ban (403 banned).
  constructor(status, code, message, details = {}) {
    super(message || code);
    this.status = status;
    this.code = code;
    this.details = details;
  }
}

let token = null;
let onUnauthorized = () => {};

export function setToken(value) {
  token = value;
}

export function setUnauthorizedHandler(fn) {
  onUnauthorized = fn;
}

// `withCookies`: send and accept the HttpOnly device cookie (causette_device). Only entry, the
// statements of reasons and appeals need it; every other call identifies itself by its token.
async function request(method, path, body, { withCookies = false } = {}) {
  const headers = { Accept: 'application/json' };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  if (token) headers.Authorization = `Bearer ${token}`;
  let res;
  try {
    res = await fetch(path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      cache: 'no-store',
      credentials: withCookies ? 'same-origin' : 'omit',
    });
  } catch {
    throw new ApiError(0, 'network', '');
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
    const error = new ApiError(res.status, err.code || `http_${res.status}`, err.message || '', err);
    if (res.status === 401 && token) onUnauthorized(error);
    throw error;
  }
  return data;
}

function query(params) {
  const qs = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) {
    if (v !== undefined && v !== null && v !== '') qs.set(k, String(v));
  }
  const s = qs.toString();
  return s ? `?${s}` : '';
}

export const getConfig = () => request('GET', '/api/v1/config');
export const createSession = (entry) => request('POST', '/api/v1/sessions', entry, { withCookies: true });
export const endSession = () => request('DELETE', '/api/v1/sessions/current');
export const getMe = () => request('GET', '/api/v1/me');
export const getRooms = () => request('GET', '/api/v1/rooms');
export const createRoom = (name, topic) => request('POST', '/api/v1/rooms', topic ? { name, topic } : { name });
export const invite = (roomId, userId) =>
  request('POST', `/api/v1/rooms/${encodeURIComponent(roomId)}/invites`, { user: userId });
export const getUsers = (filters) => request('GET', `/api/v1/users${query(filters)}`);
export const getHistory = (conv, { before, limit = 50 } = {}) =>
  request('GET', `/api/v1/history/${encodeURIComponent(conv)}${query({ before, limit })}`);

// Moderation seen from the user's side (docs/moderation.md, "Public endpoints").
export const getStatements = () => request('GET', '/api/v1/statements', undefined, { withCookies: true });
export const appeal = (statement, key, text) =>
  request('POST', '/api/v1/appeals', { statement, key, text }, { withCookies: true });
export const getReportCategories = () => request('GET', '/api/v1/report-categories');
