// Client state: the session, conversations and their messages, users, requests, notices.
// Mutations mark topics dirty; subscribers get the set of dirty topics once per animation frame.
// The session and the conversations (with their last seq) live in sessionStorage, so a reload
// keeps the session and resumes each conversation where it was.

const SESSION_KEY = 'causette.session.v1';
const STATE_KEY = 'causette.state.v1';
const UNDERAGE_KEY = 'causette.underage.v1';

// Messages kept in memory per conversation; the oldest fall off the view beyond this.
const MAX_MESSAGES = 500;
// Messages a reload keeps per conversation: sessionStorage holds about 5 MB per origin, and a
// message may be 2,000 characters. If the quota is hit anyway, a smaller snapshot is tried.
const SAVED_MESSAGES = 100;
const SAVED_MESSAGES_FALLBACK = 10;
const SAVE_DELAY_MS = 500;
// How long a typing indicator lasts without a new `typing` frame.
export const TYPING_SHOW_MS = 4000;
// Informational notices fade after this; safety notices stay until dismissed.
const NOTICE_MS = 6000;
const MAX_NOTICES = 3;
// Safety tips shown inside a conversation (meeting, contact elsewhere) kept per conversation.
const MAX_NOTES = 20;

export const keyOf = (id) => String(id);

// A regular expression that finds `name` as a whole word (optionally after @), case-insensitive.
const mentionCache = new Map();
export function mentionPattern(name) {
  const n = String(name ?? '').trim();
  if (!n) return null;
  if (!mentionCache.has(n)) {
    const escaped = n.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    let re;
    try {
      re = new RegExp(`(?<![\\p{L}\\p{N}_])@?${escaped}(?![\\p{L}\\p{N}_])`, 'giu');
    } catch {
      // Browsers without lookbehind (Safari before 16.4): the name anywhere, a word or not.
      re = new RegExp(`@?${escaped}`, 'gi');
    }
    mentionCache.set(n, re);
  }
  const re = mentionCache.get(n);
  re.lastIndex = 0;
  return re;
}

export function mentions(text, name) {
  const re = mentionPattern(name);
  return Boolean(re && re.test(String(text ?? '')));
}

function readJSON(key) {
  try {
    const raw = sessionStorage.getItem(key);
    return raw ? JSON.parse(raw) : null;
  } catch {
    return null;
  }
}

function writeJSON(key, value) {
  try {
    sessionStorage.setItem(key, JSON.stringify(value));
    return true;
  } catch {
    return false;
  }
}

class Conversation {
  constructor({ id, kind, title = '', roomId = null, peer = null }) {
    this.id = id;
    this.key = keyOf(id);
    this.kind = kind; // 'room' | 'pm'
    this.title = title;
    this.roomId = roomId;
    this.peer = peer; // the other User of a private conversation
    this.messages = []; // stored messages, ascending seq
    this.bySeq = new Map();
    this.pending = new Map(); // cid → message not yet acknowledged, in send order
    this.lastSeq = 0; // highest seq received as msg or history: the resume point
    this.unread = 0;
    this.mentioned = false; // an unread message names me
    this.typing = new Map(); // user key → {name, until}
    this.notes = []; // safety tips shown in the conversation: {id, afterSeq, code, text, at}
  }

  // Inserts a stored message in seq order; false if that seq is already here.
  insert(m) {
    if (this.bySeq.has(m.seq)) return false;
    this.bySeq.set(m.seq, m);
    const list = this.messages;
    if (!list.length || list[list.length - 1].seq < m.seq) {
      list.push(m);
    } else {
      let lo = 0;
      let hi = list.length;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (list[mid].seq < m.seq) lo = mid + 1;
        else hi = mid;
      }
      list.splice(lo, 0, m);
    }
    while (list.length > MAX_MESSAGES) this.bySeq.delete(list.shift().seq);
    return true;
  }
}

function storedMessage(raw, meId) {
  const from = raw.from && typeof raw.from === 'object' ? raw.from : {};
  return {
    key: `s${raw.seq}`,
    seq: raw.seq,
    cid: null,
    from,
    text: String(raw.text ?? ''),
    at: Number(raw.at) || Date.now(),
    own: meId != null && keyOf(from.id) === keyOf(meId),
    state: 'sent',
    error: '',
    v: 0,
  };
}

class Store {
  constructor() {
    this.listeners = new Set();
    this.dirty = new Set();
    this.flushQueued = false;
    this.saveTimer = null;
    this.flushOnHide = false;
    this.reset();
  }

  reset() {
    this.session = null; // {token, user, expires_at}
    this.me = null;
    this.config = null;
    this.limits = {};
    this.rooms = null; // null until the first GET /api/v1/rooms
    this.convs = new Map(); // key → Conversation, in tab order
    this.activeKey = null;
    this.users = new Map();
    this.userFilters = { ageMin: '', ageMax: '', gender: '', mine: false };
    this.requests = new Map(); // request key → pm_request frame
    this.invites = new Map(); // room key → {room, by}
    this.blocked = new Set(); // user keys
    this.notices = [];
    this.conn = { state: 'idle', retryAt: 0 };
    this.timedOutUntil = 0; // ms: until then the server answers `say` with timed_out
    this.panel = 'rooms'; // the panel shown on a narrow screen
    this.wide = false; // every panel visible at once
    this.touch('all');
  }

  // --- change notification -------------------------------------------------------------------

  subscribe(fn) {
    this.listeners.add(fn);
  }

  touch(...topics) {
    for (const topic of topics) this.dirty.add(topic);
    if (this.flushQueued) return;
    this.flushQueued = true;
    // requestAnimationFrame batches a burst of frames into one render; hidden tabs get no
    // animation frames, so they render on a slow timer instead (the title's unread count).
    if (typeof document !== 'undefined' && document.hidden) setTimeout(() => this.flush(), 250);
    else requestAnimationFrame(() => this.flush());
  }

  flush() {
    this.flushQueued = false;
    const dirty = this.dirty;
    this.dirty = new Set();
    for (const fn of this.listeners) fn(dirty);
  }

  // --- session ---------------------------------------------------------------------------------

  loadSession() {
    const s = readJSON(SESSION_KEY);
    if (s && typeof s.token === 'string' && s.user) {
      this.session = s;
      this.me = s.user;
    }
    return this.session;
  }

  setSession(session) {
    this.session = session;
    this.me = session.user;
    writeJSON(SESSION_KEY, session);
    this.touch('me');
  }

  setMe(user) {
    if (!user) return;
    this.me = user;
    if (this.session) {
      this.session.user = user;
      writeJSON(SESSION_KEY, this.session);
    }
    this.touch('me', 'users');
  }

  clearSession() {
    clearTimeout(this.saveTimer);
    try {
      sessionStorage.removeItem(SESSION_KEY);
      sessionStorage.removeItem(STATE_KEY);
    } catch {
      // Nothing stored.
    }
    this.reset();
  }

  get underage() {
    return readJSON(UNDERAGE_KEY) === true;
  }

  set underage(value) {
    writeJSON(UNDERAGE_KEY, Boolean(value));
  }

  get maxChars() {
    return Number(this.limits.max_message_chars || this.config?.max_message_chars) || 2000;
  }

  // --- conversations ---------------------------------------------------------------------------

  loadConversations() {
    const state = readJSON(STATE_KEY);
    if (!state || !Array.isArray(state.convs)) return;
    const meId = this.me?.id;
    for (const saved of state.convs) {
      const conv = new Conversation(saved);
      conv.lastSeq = Number(saved.lastSeq) || 0;
      if (Array.isArray(saved.notes)) conv.notes = saved.notes.filter((n) => n && typeof n.text === 'string').slice(-MAX_NOTES);
      for (const m of saved.messages || []) conv.insert(storedMessage(m, meId));
      for (const p of saved.pending || []) this.addPending(conv, p.cid, p.text, p.at);
      this.convs.set(conv.key, conv);
    }
    if (state.active && this.convs.has(state.active)) this.activeKey = state.active;
    if (this.activeKey) this.panel = 'conv';
    this.touch('tabs', 'active', 'messages');
  }

  saveSoon() {
    if (this.saveTimer) return;
    if (!this.flushOnHide) {
      // A reload within SAVE_DELAY_MS of a change must not lose it.
      this.flushOnHide = true;
      window.addEventListener('pagehide', () => {
        if (!this.saveTimer) return;
        clearTimeout(this.saveTimer);
        this.saveTimer = null;
        this.save();
      });
    }
    this.saveTimer = setTimeout(() => {
      this.saveTimer = null;
      this.save();
    }, SAVE_DELAY_MS);
  }

  save() {
    if (!this.session) return;
    const snapshot = (keep) => ({
      active: this.activeKey,
      convs: [...this.convs.values()].map((c) => ({
        id: c.id,
        kind: c.kind,
        title: c.title,
        roomId: c.roomId,
        peer: c.peer,
        lastSeq: c.lastSeq,
        notes: c.notes,
        messages: c.messages.slice(-keep).map(({ seq, from, text, at }) => ({ seq, from, text, at })),
        pending: [...c.pending.values()]
          .filter((p) => p.state === 'pending')
          .map(({ cid, text, at }) => ({ cid, text, at })),
      })),
    });
    if (!writeJSON(STATE_KEY, snapshot(SAVED_MESSAGES))) writeJSON(STATE_KEY, snapshot(SAVED_MESSAGES_FALLBACK));
  }

  // {conv key: last seq seen}, for hello{resume}.
  resumeMap() {
    const map = {};
    for (const c of this.convs.values()) map[c.key] = c.lastSeq;
    return map;
  }

  conv(key) {
    return this.convs.get(keyOf(key));
  }

  convByRoom(roomId) {
    const key = keyOf(roomId);
    for (const c of this.convs.values()) if (c.kind === 'room' && keyOf(c.roomId) === key) return c;
    return null;
  }

  ensureConv({ id, kind, title, roomId = null, peer = null }) {
    let conv = this.conv(id);
    if (!conv) {
      conv = new Conversation({ id, kind, title, roomId, peer });
      this.convs.set(conv.key, conv);
    } else {
      conv.kind = kind || conv.kind;
      if (title) conv.title = title;
      if (roomId != null) conv.roomId = roomId;
      if (peer) conv.peer = peer;
    }
    this.touch('tabs', 'active');
    this.saveSoon();
    return conv;
  }

  removeConv(key) {
    const k = keyOf(key);
    if (!this.convs.delete(k)) return;
    if (this.activeKey === k) {
      const next = this.convs.keys().next();
      this.activeKey = next.done ? null : next.value;
      if (!this.activeKey && this.panel === 'conv') this.panel = 'rooms';
    }
    this.touch('tabs', 'active', 'messages', 'typing', 'panel');
    this.saveSoon();
  }

  setActive(key) {
    const conv = this.conv(key);
    if (!conv) return;
    this.activeKey = conv.key;
    conv.unread = 0;
    conv.mentioned = false;
    this.touch('tabs', 'active', 'messages', 'typing');
    // Render now, not at the next frame: the composer's draft must be swapped before the user
    // (or a test driver) types into it.
    this.flush();
    this.saveSoon();
  }

  setPanel(panel) {
    this.panel = panel;
    if (this.isViewing(this.activeKey)) this.markRead(this.activeKey);
    this.touch('panel');
  }

  // Whether the user can see this conversation right now (unread counting).
  isViewing(key) {
    return (
      key != null &&
      key === this.activeKey &&
      !document.hidden &&
      (this.wide || this.panel === 'conv')
    );
  }

  markRead(key) {
    const conv = this.conv(key);
    if (conv && (conv.unread || conv.mentioned)) {
      conv.unread = 0;
      conv.mentioned = false;
      this.touch('tabs');
    }
  }

  // Stores msg frames or history items; returns how many were new.
  addMessages(conv, raws, { live = true } = {}) {
    const meId = this.me?.id;
    let added = 0;
    for (const raw of raws) {
      if (!raw || typeof raw.seq !== 'number') continue;
      if (raw.seq > conv.lastSeq) conv.lastSeq = raw.seq;
      if (conv.bySeq.has(raw.seq)) continue;
      const m = storedMessage(raw, meId);
      if (m.own && this.adoptPending(conv, m)) {
        added += 1;
        continue;
      }
      conv.insert(m);
      added += 1;
      if (live) {
        conv.typing.delete(keyOf(m.from.id));
        if (!m.own && !this.blocked.has(keyOf(m.from.id)) && !this.isViewing(conv.key)) {
          conv.unread += 1;
          if (conv.kind === 'room' && mentions(m.text, this.me?.pseudonym)) conv.mentioned = true;
        }
      }
    }
    if (added) {
      this.touch('messages', 'tabs', 'typing');
      this.saveSoon();
    }
    return added;
  }

  // Our own message came back as `msg` before its `ack`: the pending copy becomes the stored one.
  adoptPending(conv, m) {
    for (const p of conv.pending.values()) {
      if (p.text === m.text && p.state !== 'failed') {
        conv.pending.delete(p.cid);
        Object.assign(p, { key: m.key, seq: m.seq, at: m.at, from: m.from, state: 'sent', v: p.v + 1 });
        conv.insert(p);
        return true;
      }
    }
    return false;
  }

  addPending(conv, cid, text, at = Date.now()) {
    const m = {
      key: `c${cid}`,
      seq: null,
      cid,
      from: this.me ? { id: this.me.id, pseudonym: this.me.pseudonym, gender: this.me.gender } : {},
      text,
      at,
      own: true,
      state: 'pending',
      error: '',
      v: 0,
    };
    conv.pending.set(cid, m);
    this.touch('messages');
    this.saveSoon();
    return m;
  }

  findPending(cid) {
    for (const conv of this.convs.values()) {
      const m = conv.pending.get(cid);
      if (m) return { conv, m };
    }
    return null;
  }

  ack(cid, convId, seq) {
    const conv = this.conv(convId);
    if (!conv) return;
    const m = conv.pending.get(cid);
    if (!m) return;
    conv.pending.delete(cid);
    if (!conv.bySeq.has(seq)) {
      Object.assign(m, { key: `s${seq}`, seq, state: 'sent', error: '', v: m.v + 1 });
      conv.insert(m);
    }
    this.touch('messages');
    this.saveSoon();
  }

  // A moderator deleted a stored message (`retract{conv, seq}`): it leaves the view and the
  // saved history. Its seq stays the resume point, so it never comes back on a reconnect.
  retract(convId, seq) {
    const conv = this.conv(convId);
    if (!conv || !conv.bySeq.has(seq)) return false;
    conv.bySeq.delete(seq);
    const i = conv.messages.findIndex((m) => m.seq === seq);
    if (i >= 0) conv.messages.splice(i, 1);
    this.touch('messages');
    this.saveSoon();
    return true;
  }

  // A safety tip about this conversation (notice safety_meeting / safety_contact), shown after the
  // message it is about.
  addNote(conv, { code, text, afterSeq = conv.lastSeq }) {
    if (!text) return null;
    const note = { id: `n${Date.now()}-${Math.random().toString(36).slice(2)}`, code, text: String(text), afterSeq, at: Date.now() };
    conv.notes.push(note);
    while (conv.notes.length > MAX_NOTES) conv.notes.shift();
    this.touch('messages');
    this.saveSoon();
    return note;
  }

  dismissNote(conv, id) {
    const before = conv.notes.length;
    conv.notes = conv.notes.filter((n) => n.id !== id);
    if (conv.notes.length !== before) {
      this.touch('messages');
      this.saveSoon();
    }
  }

  setTimedOut(until) {
    this.timedOutUntil = Number(until) || 0;
    this.touch('timeout');
  }

  get timedOut() {
    return this.timedOutUntil > Date.now();
  }

  setPendingState(cid, state, error = '') {
    const found = this.findPending(cid);
    if (!found) return false;
    Object.assign(found.m, { state, error, v: found.m.v + 1 });
    this.touch('messages');
    this.saveSoon();
    return true;
  }

  // --- typing ----------------------------------------------------------------------------------

  setTyping(conv, user) {
    conv.typing.set(keyOf(user.id), { name: String(user.pseudonym ?? ''), until: Date.now() + TYPING_SHOW_MS });
    this.touch('typing');
  }

  typingNames(conv) {
    const now = Date.now();
    const names = [];
    for (const [id, entry] of conv.typing) {
      if (entry.until <= now || this.blocked.has(id)) conv.typing.delete(id);
      else names.push(entry.name);
    }
    return names;
  }

  // --- rooms -----------------------------------------------------------------------------------

  setRooms(rooms) {
    this.rooms = Array.isArray(rooms) ? rooms : [];
    // Room names and topics may change; keep the tabs' titles in step.
    for (const room of this.rooms) {
      const conv = this.convByRoom(room.id);
      if (conv && room.name && conv.title !== room.name) conv.title = room.name;
    }
    this.touch('rooms', 'tabs', 'active');
  }

  room(roomId) {
    const key = keyOf(roomId);
    return (this.rooms || []).find((r) => keyOf(r.id) === key) || null;
  }

  // --- users -----------------------------------------------------------------------------------

  matchesFilters(u) {
    const f = this.userFilters;
    if (this.blocked.has(keyOf(u.id))) return false;
    if (f.ageMin !== '' && Number(u.age) < Number(f.ageMin)) return false;
    if (f.ageMax !== '' && Number(u.age) > Number(f.ageMax)) return false;
    if (f.gender && u.gender !== f.gender) return false;
    if (f.mine && this.me && u.region !== this.me.region) return false;
    return true;
  }

  setUsers(list) {
    this.users = new Map();
    for (const u of Array.isArray(list) ? list : []) if (u && u.id != null && this.matchesFilters(u)) this.users.set(keyOf(u.id), u);
    this.touch('users');
  }

  presence(online, offline) {
    for (const id of Array.isArray(offline) ? offline : []) this.users.delete(keyOf(id));
    for (const u of Array.isArray(online) ? online : []) {
      if (u && u.id != null && this.matchesFilters(u)) this.users.set(keyOf(u.id), u);
    }
    this.touch('users');
  }

  // --- blocks, requests, invites ---------------------------------------------------------------

  setBlocked(ids) {
    this.blocked = new Set((Array.isArray(ids) ? ids : []).map(keyOf));
    this.touch('users', 'messages', 'requests', 'active');
  }

  block(id) {
    const k = keyOf(id);
    this.blocked.add(k);
    this.users.delete(k);
    for (const [rk, r] of this.requests) if (keyOf(r.from?.id) === k) this.requests.delete(rk);
    this.touch('users', 'messages', 'requests', 'active', 'typing');
  }

  unblock(id) {
    this.blocked.delete(keyOf(id));
    this.touch('users', 'messages', 'active');
  }

  setRequests(list) {
    this.requests = new Map();
    for (const r of Array.isArray(list) ? list : []) this.addRequest(r);
    this.touch('requests');
  }

  addRequest(r) {
    if (!r || r.request == null || !r.from || this.blocked.has(keyOf(r.from.id))) return false;
    this.requests.set(keyOf(r.request), r);
    this.touch('requests');
    return true;
  }

  removeRequest(id) {
    this.requests.delete(keyOf(id));
    this.touch('requests');
  }

  addInvite(room, by) {
    if (!room || room.id == null) return;
    this.invites.set(keyOf(room.id), { room, by });
    this.touch('requests');
  }

  removeInvite(roomId) {
    this.invites.delete(keyOf(roomId));
    this.touch('requests');
  }

  // --- notices ---------------------------------------------------------------------------------

  notify(text, { kind = 'info', sticky = kind === 'safety' } = {}) {
    if (!text) return;
    const notice = { id: `${Date.now()}-${Math.random()}`, text: String(text), kind };
    this.notices.push(notice);
    while (this.notices.length > MAX_NOTICES) this.notices.shift();
    if (!sticky) setTimeout(() => this.dismiss(notice.id), NOTICE_MS);
    this.touch('notices');
  }

  dismiss(id) {
    const before = this.notices.length;
    this.notices = this.notices.filter((n) => n.id !== id);
    if (this.notices.length !== before) this.touch('notices');
  }

  setConn(state, retryAt = 0) {
    this.conn = { state, retryAt };
    this.touch('conn');
  }
}

export const store = new Store();
