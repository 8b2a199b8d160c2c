// The chat controller: turns server frames into store changes, and user actions into frames or
// REST calls. Frame names and fields follow docs/protocol.md.

import * as api from './api.js';
import { t, has, getLang } from './i18n.js';
import * as notify from './notify.js';
import * as statements from './statements.js';
import { store, keyOf, TYPING_SHOW_MS } from './store.js';
import { charCount, formatDateTime } from './ui.js';
import { Connection } from './ws.js';

const ROOMS_REFRESH_MS = 15000;
// People coming and going change the rooms' member counts: a presence frame brings the next
// refresh forward, at most this often (the server pushes no counts; see GET /api/v1/rooms).
const ROOMS_PRESENCE_REFRESH_MS = 5000;
// A `typing` frame at most this often while the user types.
const TYPING_SEND_MS = 3000;
const USERS_FILTER_DEBOUNCE_MS = 300;
// A safety notice about a private message (safety_meeting, safety_contact) follows that message
// at once; within this window it is shown inside the conversation that just received one.
const SAFETY_NOTE_WINDOW_MS = 10000;
// Notices that belong next to the message they are about.
const INLINE_NOTICES = new Set(['safety_meeting', 'safety_contact']);
const CATALOGUE_NOTICES = new Set(['safety_meeting', 'safety_contact', 'safety_restricted', 'message_released', 'reports_warning']);

let conn = null;
let roomsTimer = null;
let roomsSoonTimer = null;
let usersTimer = null;
let endSessionHandler = () => {};
let lastTypingSent = 0;
let sentResume = new Set(); // the conversations named in the last hello{resume}
let wantFocusRoom = null; // the room the user clicked, focused once `joined` arrives
let acceptedFrom = null; // the user whose request we accepted, focused once `pm_open` arrives
const pmRequests = new Map(); // cid → {resolve, reject, to}
let lastIncoming = null; // {key, seq, at}: the private conversation that last received a message
let lastRequest = null; // {key, at}: the request received last
const acceptedSafety = new Map(); // sender key → safety tips of the request we accepted

export function uuid() {
  if (globalThis.crypto?.randomUUID) return crypto.randomUUID();
  // randomUUID needs a secure context; plain http on a LAN does not have one.
  const b = crypto.getRandomValues(new Uint8Array(16));
  return [...b].map((x) => x.toString(16).padStart(2, '0')).join('');
}

export function errorText(code, message) {
  if (message) return message;
  return has(`error.${code}`) ? t(`error.${code}`) : t('error.unknown', { code });
}

// `error{code: "timed_out", until}`: the end of the time-out, said plainly.
export function timedOutText(until, message) {
  if (Number(until) > 0) return t('timeout.until', { until: formatDateTime(Number(until)) });
  return errorText('timed_out', message);
}

function send(frame) {
  return Boolean(conn && conn.send(frame));
}

// --- lifecycle -------------------------------------------------------------------------------

export function start({ onSessionEnded }) {
  endSessionHandler = onSessionEnded;
  api.setToken(store.session.token);
  conn = new Connection({
    resolveUrl: wsUrl,
    protocol: 'causette.v1',
    checkAuth,
    onOpen: sendHello,
    onFrame: handleFrame,
    onStateChange: (state) => store.setConn(state, conn ? conn.retryAt : 0),
    onSessionEnded: () => endSessionHandler(),
  });
  conn.start();
  refreshRooms();
  refreshUsers();
  statements.load().then(() => {
    const until = statements.timedOutUntil();
    if (until > store.timedOutUntil) store.setTimedOut(until);
  });
  clearInterval(roomsTimer);
  roomsTimer = setInterval(() => {
    if (!document.hidden) refreshRooms();
  }, ROOMS_REFRESH_MS);
  document.addEventListener('visibilitychange', onVisibility);
  window.addEventListener('online', reconnectNow);
  window.addEventListener('offline', networkLost);
}

export function stop() {
  clearInterval(roomsTimer);
  clearTimeout(roomsSoonTimer);
  roomsSoonTimer = null;
  clearTimeout(usersTimer);
  document.removeEventListener('visibilitychange', onVisibility);
  window.removeEventListener('online', reconnectNow);
  window.removeEventListener('offline', networkLost);
  if (conn) conn.stop();
  conn = null;
  for (const { reject } of pmRequests.values()) reject(new Error('stopped'));
  pmRequests.clear();
  api.setToken(null);
}

export function reconnectNow() {
  if (conn) conn.reconnectNow();
}

function networkLost() {
  if (conn) conn.networkLost();
}

function onVisibility() {
  if (document.hidden) return;
  store.markRead(store.activeKey);
  refreshRooms();
  reconnectNow();
}

async function wsUrl(fresh) {
  if (!store.config || fresh) {
    store.config = await api.getConfig();
    if (conn) conn.protocol = store.config.subprotocol || 'causette.v1';
  }
  const base = store.config.ws_url;
  const sep = base.includes('?') ? '&' : '?';
  return `${base}${sep}token=${encodeURIComponent(store.session.token)}`;
}

async function checkAuth() {
  try {
    await api.getMe();
    return 'ok';
  } catch (err) {
    return err.status === 401 ? 'unauthorized' : 'unreachable';
  }
}

function sendHello() {
  const resume = store.resumeMap();
  sentResume = new Set(Object.keys(resume));
  send({ t: 'hello', resume });
}

// --- frames from the server ------------------------------------------------------------------

const handlers = {
  welcome(f) {
    store.setMe(f.user);
    if (f.limits && typeof f.limits === 'object') store.limits = f.limits;
    if (Array.isArray(f.blocked)) store.setBlocked(f.blocked);
    if (Array.isArray(f.requests)) store.setRequests(f.requests);
    // The session's memberships are the truth: drop tabs the session no longer has (left in
    // another tab, removed by a moderator), add those it gained elsewhere.
    if (Array.isArray(f.rooms)) {
      const ids = new Set(f.rooms.map(keyOf));
      for (const c of [...store.convs.values()]) if (c.kind === 'room' && !ids.has(keyOf(c.roomId))) store.removeConv(c.key);
      for (const id of f.rooms) if (!store.convByRoom(id)) send({ t: 'join', room: id });
    }
    if (Array.isArray(f.pms)) {
      const ids = new Set(f.pms.map((p) => keyOf(p.conv)));
      for (const c of [...store.convs.values()]) if (c.kind === 'pm' && !ids.has(c.key)) store.removeConv(c.key);
      for (const p of f.pms) {
        const known = store.conv(p.conv);
        const conv = store.ensureConv({ id: p.conv, kind: 'pm', title: p.with?.pseudonym, peer: p.with });
        if (!known) loadHistory(conv);
      }
    }
  },

  resumed(f) {
    const heads = f.heads && typeof f.heads === 'object' ? f.heads : {};
    for (const [key, head] of Object.entries(heads)) {
      const conv = store.conv(key);
      if (!conv || typeof head !== 'number') continue;
      if (!sentResume.has(conv.key) && head > conv.lastSeq) loadHistory(conv);
    }
    // Messages typed while offline (or before a reload) go out again with their cid: the server
    // stores a retried cid once.
    for (const c of store.convs.values()) {
      for (const m of c.pending.values()) if (m.state === 'pending') send({ t: 'say', conv: c.id, text: m.text, cid: m.cid });
    }
    store.touch('messages');
    refreshUsers();
    refreshRooms();
  },

  joined(f) {
    const roomObj = f.room && typeof f.room === 'object' ? f.room : null;
    const roomId = roomObj ? roomObj.id : (f.room ?? f.conv);
    const title = roomObj?.name || store.room(roomId)?.name || String(roomId);
    const conv = store.ensureConv({ id: f.conv, kind: 'room', title, roomId });
    store.addMessages(conv, Array.isArray(f.history) ? f.history : [], { live: false });
    store.removeInvite(roomId);
    if (wantFocusRoom != null && keyOf(wantFocusRoom) === keyOf(roomId)) {
      wantFocusRoom = null;
      store.setActive(conv.key);
      store.setPanel('conv');
    } else if (!store.activeKey) {
      store.setActive(conv.key);
    }
    refreshRooms();
  },

  left(f) {
    store.removeConv(f.conv);
    refreshRooms();
  },

  ack(f) {
    if (f.request != null) {
      const pending = pmRequests.get(f.cid);
      if (pending) {
        pmRequests.delete(f.cid);
        pending.resolve(f);
      }
      return;
    }
    store.ack(f.cid, f.conv, f.seq);
    // Stored: whatever time-out there was is over (expired, or reversed on appeal).
    if (store.timedOutUntil) store.setTimedOut(0);
  },

  // A moderator deleted the message (docs/moderation.md, "What the actions do").
  retract(f) {
    store.retract(f.conv, f.seq);
  },

  room_closed(f) {
    const conv = store.conv(f.conv) || store.convByRoom(f.conv);
    const name = conv?.title || store.room(f.conv)?.name || String(f.conv);
    if (conv) store.removeConv(conv.key);
    store.notify(t('room.closed', { name }), { kind: 'safety' });
    refreshRooms();
  },

  msg(f) {
    let conv = store.conv(f.conv);
    if (!conv) {
      // A conversation opened by another tab of this session; pm_open or joined will name it.
      const room = store.room(f.conv);
      conv = room
        ? store.ensureConv({ id: f.conv, kind: 'room', title: room.name, roomId: room.id })
        : store.ensureConv({ id: f.conv, kind: 'pm', title: f.from?.pseudonym || '…' });
    }
    const added = store.addMessages(conv, [f]);
    const from = f.from || {};
    if (!added || conv.kind !== 'pm' || keyOf(from.id) === keyOf(store.me?.id) || store.blocked.has(keyOf(from.id))) return;
    lastIncoming = { key: conv.key, seq: f.seq, at: Date.now() };
    // Message 1 is the request's text, already announced as a request.
    if (f.seq === 1) return;
    notify.privateMessage(from.pseudonym ?? conv.title, f.text, () => openConv(conv.key), `causette-${conv.key}`);
  },

  pm_request(f) {
    if (!store.addRequest(f)) return;
    lastRequest = { key: keyOf(f.request), at: Date.now() };
    store.notify(t('requests.new', { name: f.from.pseudonym }));
    notify.request(f.from.pseudonym, f.preview, () => store.setPanel('requests'), `causette-request-${keyOf(f.request)}`);
  },

  pm_open(f) {
    const peer = f.with || {};
    const conv = store.ensureConv({ id: f.conv, kind: 'pm', title: peer.pseudonym, peer });
    for (const [rk, r] of store.requests) {
      if (keyOf(r.from?.id) !== keyOf(peer.id)) continue;
      // The request's text is message 1: its safety tips follow it into the conversation.
      for (const text of r.safety || []) store.addNote(conv, { code: 'safety', text, afterSeq: 1 });
      store.removeRequest(rk);
    }
    for (const text of acceptedSafety.get(keyOf(peer.id)) || []) store.addNote(conv, { code: 'safety', text, afterSeq: 1 });
    acceptedSafety.delete(keyOf(peer.id));
    loadHistory(conv);
    if (acceptedFrom != null && keyOf(acceptedFrom) === keyOf(peer.id)) {
      acceptedFrom = null;
      store.setActive(conv.key);
      store.setPanel('conv');
    } else {
      store.notify(t('pm.opened', { name: peer.pseudonym }));
    }
  },

  invited(f) {
    store.addInvite(f.room, f.by);
    store.notify(t('invites.from', { by: f.by?.pseudonym ?? '?', room: f.room?.name ?? '?' }));
    refreshRooms();
  },

  presence(f) {
    store.presence(f.online, f.offline);
    if (!roomsSoonTimer && !document.hidden) {
      roomsSoonTimer = setTimeout(() => {
        roomsSoonTimer = null;
        refreshRooms();
      }, ROOMS_PRESENCE_REFRESH_MS);
    }
  },

  typing(f) {
    const conv = store.conv(f.conv);
    if (!conv || !f.user || keyOf(f.user.id) === keyOf(store.me?.id)) return;
    store.setTyping(conv, f.user);
    // Re-render once it has expired.
    setTimeout(() => store.touch('typing'), TYPING_SHOW_MS + 100);
  },

  blocked(f) {
    const user = userOf(f.user);
    store.block(user.id);
    store.notify(t('block.done', { name: user.pseudonym || nameOf(user.id) }));
  },

  unblocked(f) {
    const user = userOf(f.user);
    store.unblock(user.id);
    store.notify(t('unblock.done', { name: user.pseudonym || nameOf(user.id) }));
    refreshUsers();
  },

  reported(f) {
    store.notify(t('report.done', { id: f.id ?? '?' }));
  },

  notice(f) {
    // Fixed notices read in the reader's language from the catalogue; the server's French text is
    // the fallback (and stays for notices that carry specifics, such as a warning's reasons).
    if (CATALOGUE_NOTICES.has(f.code)) f = { ...f, text: t(`notice.${f.code}`) };
    if (f.code === 'statement_of_reasons') {
      // The full statement and its appeal form go in the panel; the notice points to it.
      statements.fromNotice(f);
      store.notify(t('statement.notice'), { kind: 'safety' });
      return;
    }
    if (f.code === 'appeal_decided') {
      // The appeal's outcome, with the statement as it now stands (reversed or upheld).
      const s = statements.fromNotice(f, { keepText: true });
      if (s && s.status === 'reversed' && s.action === 'timeout') store.setTimedOut(0);
      store.notify(f.text || t('statement.notice'), { kind: 'info', sticky: true });
      return;
    }
    if (f.code === 'report_outcome') {
      store.notify(f.text || t('report.outcome'), { kind: 'info', sticky: true });
      return;
    }
    if (INLINE_NOTICES.has(f.code) && attachSafetyNote(f)) return;
    store.notify(f.text || f.code, { kind: 'safety' });
  },

  error(f) {
    if (f.code === 'timed_out') store.setTimedOut(f.until);
    const text = f.code === 'timed_out' ? timedOutText(f.until, f.message) : errorText(f.code, f.message);
    if (f.cid != null) {
      const pm = pmRequests.get(f.cid);
      if (pm) {
        pmRequests.delete(f.cid);
        if (f.code === 'already_open' && f.conv != null && store.conv(f.conv)) {
          store.setActive(f.conv);
          store.setPanel('conv');
        }
        pm.reject(Object.assign(new Error(text), { code: f.code }));
        return;
      }
      if (store.setPendingState(f.cid, 'failed', text)) return;
    }
    if (f.code === 'not_member' && f.conv != null) store.removeConv(f.conv);
    store.notify(text, { kind: 'error' });
  },

  pong() {},
};

function handleFrame(f) {
  const handler = Object.hasOwn(handlers, f.t) ? handlers[f.t] : null;
  if (!handler) return; // unknown types are ignored, like unknown fields
  try {
    handler(f);
  } catch (err) {
    // One odd frame must not stop the others.
    console.error('causette: frame', f.t, err);
  }
}

// Shows a safety tip inside the conversation (or on the request) it is about. The frame may name
// its conversation (`conv`, `seq`); otherwise it is about the private message that just arrived.
function attachSafetyNote(f) {
  const now = Date.now();
  const text = f.text || f.code;
  let conv = f.conv != null ? store.conv(f.conv) : null;
  let afterSeq = typeof f.seq === 'number' ? f.seq : undefined;
  const recentMsg = lastIncoming && now - lastIncoming.at < SAFETY_NOTE_WINDOW_MS ? lastIncoming : null;
  // The server names the request or message a notice is about; older servers did not, so the
  // latest arrival within a few seconds is taken instead.
  const named = f.request != null ? { key: keyOf(f.request), at: now } : null;
  const recentReq = named || (lastRequest && now - lastRequest.at < SAFETY_NOTE_WINDOW_MS ? lastRequest : null);
  if (!conv && recentReq && (named || !recentMsg || recentReq.at >= recentMsg.at) && store.requests.has(recentReq.key)) {
    const r = store.requests.get(recentReq.key);
    r.safety = [...(r.safety || []).filter((x) => x !== text), text];
    store.touch('requests');
    store.notify(text, { kind: 'safety' });
    return true;
  }
  if (!conv && recentMsg) {
    conv = store.conv(recentMsg.key);
    afterSeq = recentMsg.seq;
  }
  if (!conv) return false;
  store.addNote(conv, { code: f.code, text, afterSeq: afterSeq ?? conv.lastSeq });
  // Also on top of the screen; it stays until closed when the conversation is not in view.
  store.notify(text, { kind: 'safety', sticky: !store.isViewing(conv.key) });
  return true;
}

function userOf(value) {
  return value && typeof value === 'object' ? value : { id: value };
}

function nameOf(id) {
  const k = keyOf(id);
  const u = store.users.get(k);
  if (u) return u.pseudonym;
  for (const c of store.convs.values()) if (c.peer && keyOf(c.peer.id) === k) return c.peer.pseudonym;
  return '?';
}

// --- REST refreshes --------------------------------------------------------------------------

export async function refreshRooms() {
  try {
    store.setRooms(await api.getRooms());
  } catch {
    // Kept as it was; the next refresh will try again.
  }
}

export async function refreshUsers() {
  const f = store.userFilters;
  try {
    const list = await api.getUsers({
      age_min: f.ageMin,
      age_max: f.ageMax,
      gender: f.gender,
      region: f.mine ? 'mine' : '',
    });
    store.setUsers(list);
  } catch {
    // Presence frames keep what we have live.
  }
}

export function setUserFilters(filters) {
  store.userFilters = { ...store.userFilters, ...filters };
  // Narrow what is shown at once; the server's answer replaces it.
  store.setUsers([...store.users.values()]);
  clearTimeout(usersTimer);
  usersTimer = setTimeout(refreshUsers, USERS_FILTER_DEBOUNCE_MS);
}

async function loadHistory(conv) {
  try {
    const items = await api.getHistory(conv.id, { limit: store.config?.history_size || 50 });
    if (store.conv(conv.key) === conv) store.addMessages(conv, Array.isArray(items) ? items : [], { live: false });
  } catch (err) {
    if (err.status !== 401 && err.status !== 404) store.notify(t('conv.load_failed'), { kind: 'error' });
  }
}

// --- user actions ----------------------------------------------------------------------------

export function openConv(key) {
  store.setActive(key);
  store.setPanel('conv');
}

export function joinRoom(room) {
  const existing = store.convByRoom(room.id);
  if (existing) return openConv(existing.key);
  wantFocusRoom = room.id;
  if (!send({ t: 'join', room: room.id })) store.notify(t('error.not_connected'), { kind: 'error' });
}

export function leaveRoom(conv) {
  if (!send({ t: 'leave', room: conv.roomId ?? conv.id })) store.notify(t('error.not_connected'), { kind: 'error' });
}

// Returns false when the text cannot be sent at all (empty or too long).
export function say(conv, text) {
  if (!text.trim() || charCount(text) > store.maxChars) return false;
  const cid = uuid();
  store.addPending(conv, cid, text);
  // Offline, the message stays pending and goes out on `resumed`.
  send({ t: 'say', conv: conv.id, text, cid });
  lastTypingSent = 0;
  return true;
}

export function retry(conv, m) {
  store.setPendingState(m.cid, 'pending');
  send({ t: 'say', conv: conv.id, text: m.text, cid: m.cid });
}

export function typing(conv) {
  const now = Date.now();
  if (now - lastTypingSent < TYPING_SEND_MS) return;
  if (send({ t: 'typing', conv: conv.id })) lastTypingSent = now;
}

export function requestPm(user, text) {
  return new Promise((resolve, reject) => {
    const cid = uuid();
    if (!send({ t: 'pm_request', to: user.id, text, cid })) {
      reject(new Error(t('error.not_connected')));
      return;
    }
    pmRequests.set(cid, { resolve, reject, to: user.id });
  });
}

export function answerRequest(request, accept) {
  if (!send({ t: 'pm_answer', request: request.request, accept })) {
    store.notify(t('error.not_connected'), { kind: 'error' });
    return;
  }
  if (accept) {
    acceptedFrom = request.from?.id ?? null;
    if (request.safety?.length) acceptedSafety.set(keyOf(acceptedFrom), request.safety);
  }
  store.removeRequest(request.request);
}

export function block(userId) {
  if (!send({ t: 'block', user: userId })) store.notify(t('error.not_connected'), { kind: 'error' });
}

export function unblock(userId) {
  if (!send({ t: 'unblock', user: userId })) store.notify(t('error.not_connected'), { kind: 'error' });
}

export function report(target, category, text) {
  const ok = send({ t: 'report', target, category, text: text || '' });
  if (!ok) store.notify(t('error.not_connected'), { kind: 'error' });
  return ok;
}

export async function createRoom(name, topic) {
  const room = await api.createRoom(name, topic);
  store.notify(t('rooms.created', { name: room?.name ?? name }));
  await refreshRooms();
  if (room && room.id != null) joinRoom(room);
  return room;
}

export async function invite(roomId, user) {
  await api.invite(roomId, user.id);
  store.notify(t('invites.sent', { name: user.pseudonym }));
}

export function dismissInvite(roomId) {
  store.removeInvite(roomId);
}

// GET /api/v1/report-categories, asked once: [{id, label: {fr, en}, severity}], most urgent first.
let reportCategoriesCache = null;

export async function loadReportCategories() {
  if (reportCategoriesCache) return reportCategoriesCache;
  try {
    const list = await api.getReportCategories();
    if (Array.isArray(list) && list.length) reportCategoriesCache = list;
  } catch {
    // The built-in list stays offered.
  }
  return reportCategoriesCache;
}

export function reportCategoriesFromServer() {
  if (!reportCategoriesCache) return null;
  const lang = getLang();
  return reportCategoriesCache.map((c) => ({
    code: String(c.id),
    label: String((c.label && typeof c.label === 'object' ? c.label[lang] || c.label.fr : c.label) || c.id),
  }));
}
