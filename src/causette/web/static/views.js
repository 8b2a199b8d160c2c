// The chat screen: renders the store into the static markup of index.html and wires the user's
// actions to chat.js. Rendering is keyed (ui.reconcile), so a refresh keeps focus and scroll.

import * as chat from './chat.js';
import { mountEmojiPicker } from './emoji.js';
import { applyI18n, getLang, has, onLangChange, t } from './i18n.js';
import * as notify from './notify.js';
import { keyOf, mentionPattern, store } from './store.js';
import {
  charCount,
  clear,
  closeDialog,
  formatDateTime,
  formatTime,
  genderOf,
  h,
  reconcile,
  showDialog,
  userDetails,
  userLabel,
} from './ui.js';

const $ = (id) => document.getElementById(id);

const KIND_ORDER = ['theme', 'region', 'age', 'private', 'other'];
// Rendering thousands of people helps no one: show this many and ask to narrow the filters.
const USERS_SHOWN = 200;
// The character counter appears from this share of the limit on.
const COUNTER_FROM = 0.9;
const COMPOSER_MAX_PX = 160;
const REPORT_TEXT_MAX = 1000;
// Until the server publishes its list (config.report_categories), these codes are offered.
const REPORT_CATEGORIES = ['harassment', 'hate', 'sexual', 'minor', 'threat', 'personal_data', 'spam', 'illegal', 'other'];
const WIDE_QUERY = '(min-width: 900px)';

const drafts = new Map(); // conv key → unsent text
const tabIds = new Map(); // conv key → element id
let renderedConv = null; // the conversation whose messages and draft are on screen
let forceScroll = false;
let offlineTicker = null;
let timeoutTimer = null;
let emojiPicker = null;

const activeConv = () => (store.activeKey ? store.conv(store.activeKey) : null);

// --- mounting --------------------------------------------------------------------------------

export function mount() {
  for (const btn of document.querySelectorAll('[data-panel-target]')) {
    btn.addEventListener('click', () => store.setPanel(btn.dataset.panelTarget));
  }
  const wide = matchMedia(WIDE_QUERY);
  const onWide = () => {
    store.wide = wide.matches;
    store.touch('panel');
  };
  wide.addEventListener('change', onWide);
  onWide();

  const composer = $('composer');
  $('composer-form').addEventListener('submit', (e) => {
    e.preventDefault();
    sendComposer();
  });
  composer.addEventListener('keydown', (e) => {
    // Enter sends, Shift+Enter is a new line; an IME composition keeps its own Enter.
    if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) {
      e.preventDefault();
      sendComposer();
    }
  });
  composer.addEventListener('input', () => {
    updateComposer();
    const conv = activeConv();
    if (conv && composer.value.trim()) chat.typing(conv);
  });

  emojiPicker = mountEmojiPicker({ toggle: $('emoji-toggle'), picker: $('emoji-picker'), field: composer });

  $('notify-enable').addEventListener('click', async () => {
    const result = await notify.ask();
    if (result === 'granted') store.notify(t('notify.enabled'));
    else if (result === 'denied') store.notify(t('notify.denied'), { kind: 'error' });
    renderNotifyButton();
  });

  $('conv-tabs').addEventListener('keydown', onTabsKey);
  $('conv-leave').addEventListener('click', () => {
    const conv = activeConv();
    if (conv && conv.kind === 'room') chat.leaveRoom(conv);
  });
  $('conv-block').addEventListener('click', () => {
    const conv = activeConv();
    if (!conv || !conv.peer) return;
    if (store.blocked.has(keyOf(conv.peer.id))) chat.unblock(conv.peer.id);
    else chat.block(conv.peer.id);
  });
  $('conv-report-peer').addEventListener('click', () => {
    const conv = activeConv();
    if (conv && conv.peer) openReport({ user: conv.peer.id }, t('report.title_user', { name: conv.peer.pseudonym ?? conv.title }));
  });
  $('conv-report-room').addEventListener('click', () => {
    const conv = activeConv();
    if (conv && conv.kind === 'room') {
      openReport({ room: conv.roomId ?? conv.id }, t('report.title_room', { name: conv.title }));
    }
  });

  const filters = $('user-filters');
  const onFilters = () => chat.setUserFilters(readFilters());
  filters.addEventListener('input', onFilters);
  filters.addEventListener('change', onFilters);
  filters.addEventListener('submit', (e) => e.preventDefault());

  $('create-room-form').addEventListener('submit', onCreateRoom);
  $('offline-retry').addEventListener('click', () => chat.reconnectNow());

  const dialog = $('dialog');
  dialog.addEventListener('click', (e) => {
    // A click on the backdrop (the dialog box itself, outside its content) closes it.
    if (e.target === dialog) closeDialog(dialog);
  });

  document.addEventListener('visibilitychange', () => store.touch('panel'));
  store.subscribe(render);
  onLangChange(() => {
    applyI18n();
    store.touch('all');
  });
}

function readFilters() {
  const num = (id) => {
    const v = $(id).value.trim();
    return /^\d{1,3}$/.test(v) ? v : '';
  };
  return {
    ageMin: num('filter-age-min'),
    ageMax: num('filter-age-max'),
    gender: $('filter-gender').value,
    mine: $('filter-mine').checked,
  };
}

// --- rendering -------------------------------------------------------------------------------

function render(dirty) {
  const all = dirty.has('all');
  const any = (...topics) => all || topics.some((x) => dirty.has(x));
  if (any('panel')) renderPanel();
  if (any('rooms', 'tabs', 'me')) renderRooms();
  if (any('tabs')) renderTabs();
  if (any('active', 'tabs', 'me')) renderConvHeader();
  if (any('messages', 'active', 'conn', 'me')) renderMessages();
  if (any('typing', 'active')) renderTyping();
  if (any('timeout', 'active')) renderTimeout();
  if (any('users', 'me')) renderUsers();
  if (any('requests')) renderRequests();
  if (any('notices')) renderNotices();
  if (any('conn')) renderConn();
  if (any('tabs', 'requests')) renderBadges();
}

function renderPanel() {
  $('chat').dataset.panel = store.panel;
  for (const btn of document.querySelectorAll('[data-panel-target]')) {
    if (btn.dataset.panelTarget === store.panel) btn.setAttribute('aria-current', 'page');
    else btn.removeAttribute('aria-current');
  }
  if (store.isViewing(store.activeKey)) store.markRead(store.activeKey);
}

// An age band as {min, max}; a missing bound is open (max Infinity).
function roomAgeRange(room) {
  if (room.min_age == null && room.max_age == null) return null;
  return { min: room.min_age ?? 0, max: room.max_age ?? Infinity };
}

function ageRangeText(range) {
  return range.max === Infinity ? t('rooms.age_from', { min: range.min }) : t('rooms.age_only', range);
}

function renderRooms() {
  const status = $('rooms-status');
  const container = $('room-list');
  if (store.rooms === null) {
    status.textContent = t('rooms.loading');
    status.hidden = false;
  } else {
    status.textContent = t('rooms.empty');
    status.hidden = store.rooms.length > 0;
  }
  const groups = new Map();
  for (const room of store.rooms || []) {
    const kind = KIND_ORDER.includes(room.kind) ? room.kind : 'other';
    if (!groups.has(kind)) groups.set(kind, []);
    groups.get(kind).push(room);
  }
  const kinds = KIND_ORDER.filter((k) => groups.has(k));
  const lang = getLang();
  reconcile(container, kinds, {
    key: (kind) => kind,
    version: () => lang,
    render: (kind) =>
      h(
        'section',
        { class: 'room-group', 'aria-labelledby': `room-group-${kind}` },
        h('h3', { id: `room-group-${kind}`, class: 'room-group-title' }, t(`kind.${kind}`)),
        h('ul', { class: 'room-group-list' }),
      ),
  });
  const age = Number(store.me?.age);
  [...container.children].forEach((section, i) => {
    reconcile(section.querySelector('ul'), groups.get(kinds[i]), {
      key: (r) => keyOf(r.id),
      version: (r) => {
        const conv = store.convByRoom(r.id);
        return [lang, r.name, r.topic, r.members, Boolean(conv || r.joined), conv && conv.key === store.activeKey, age].join('|');
      },
      render: (r) => renderRoomItem(r, age),
    });
  });
}

function renderRoomItem(room, age) {
  const conv = store.convByRoom(room.id);
  const joined = Boolean(conv || room.joined);
  const range = roomAgeRange(room);
  const outOfRange = range && Number.isFinite(age) && (age < range.min || age > range.max) && !joined;
  const members = Number(room.members) || 0;
  return h(
    'li',
    {},
    h(
      'button',
      {
        type: 'button',
        class: ['room-item', joined && 'is-joined', conv && conv.key === store.activeKey && 'is-active'],
        testid: 'room-item',
        disabled: Boolean(outOfRange),
        data: { room: keyOf(room.id) },
        on: { click: () => chat.joinRoom(room) },
      },
      h(
        'span',
        { class: 'room-line' },
        h('span', { class: 'room-name' }, String(room.name ?? room.id)),
        h('span', { class: 'room-members' }, t('rooms.members', { n: members })),
      ),
      room.topic ? h('span', { class: 'room-topic' }, String(room.topic)) : null,
      joined ? h('span', { class: 'room-tag' }, t('rooms.joined')) : null,
      outOfRange ? h('span', { class: 'room-tag room-tag-muted' }, ageRangeText(range)) : null,
    ),
  );
}

function tabId(key) {
  if (!tabIds.has(key)) tabIds.set(key, `conv-tab-${tabIds.size + 1}`);
  return tabIds.get(key);
}

function renderTabs() {
  const lang = getLang();
  reconcile($('conv-tabs'), [...store.convs.values()], {
    key: (c) => c.key,
    version: (c) => [lang, c.title, c.kind, c.unread, c.mentioned, c.key === store.activeKey].join('|'),
    render: (c) => {
      const selected = c.key === store.activeKey;
      return h(
        'button',
        {
          type: 'button',
          role: 'tab',
          id: tabId(c.key),
          class: ['conv-tab', selected && 'is-active', c.kind === 'pm' && 'is-pm'],
          testid: 'conv-tab',
          'aria-selected': selected ? 'true' : 'false',
          'aria-controls': 'conv-view',
          tabindex: selected ? '0' : '-1',
          data: { conv: c.key },
          on: { click: () => chat.openConv(c.key) },
        },
        h('span', { class: 'conv-tab-kind', 'aria-hidden': 'true' }, c.kind === 'pm' ? '@' : '#'),
        h('span', { class: 'conv-tab-title' }, c.title || '…'),
        c.mentioned
          ? h(
              'span',
              { class: 'conv-tab-mention', title: t('conv.mentioned') },
              h('span', { 'aria-hidden': 'true' }, '@'),
              h('span', { class: 'visually-hidden' }, t('conv.mentioned')),
            )
          : null,
        c.unread
          ? h(
              'span',
              { class: 'badge' },
              h('span', { 'aria-hidden': 'true' }, String(c.unread)),
              h('span', { class: 'visually-hidden' }, t('conv.unread', { n: c.unread })),
            )
          : null,
      );
    },
  });
}

function onTabsKey(e) {
  const tabs = [...$('conv-tabs').querySelectorAll('[role="tab"]')];
  const i = tabs.indexOf(document.activeElement);
  if (i < 0) return;
  let next = -1;
  if (e.key === 'ArrowRight' || e.key === 'ArrowDown') next = (i + 1) % tabs.length;
  else if (e.key === 'ArrowLeft' || e.key === 'ArrowUp') next = (i - 1 + tabs.length) % tabs.length;
  else if (e.key === 'Home') next = 0;
  else if (e.key === 'End') next = tabs.length - 1;
  if (next < 0) return;
  e.preventDefault();
  const key = tabs[next].dataset.conv;
  chat.openConv(key);
  tabs[next].focus();
}

function renderConvHeader() {
  const conv = activeConv();
  $('conv-empty').hidden = Boolean(conv);
  $('conv-view').hidden = !conv;
  if (conv) $('conv-view').setAttribute('aria-labelledby', tabId(conv.key));
  swapDraft(conv);
  if (!conv) return;
  const isRoom = conv.kind === 'room';
  const room = isRoom ? store.room(conv.roomId ?? conv.id) : null;
  $('conv-title').textContent = isRoom ? conv.title : t('conv.private_with', { name: conv.title });
  $('conv-topic').textContent = room?.topic ? String(room.topic) : conv.peer ? userDetails(conv.peer) : '';
  $('conv-leave').hidden = !isRoom;
  $('conv-report-room').hidden = !isRoom;
  const reportPeer = $('conv-report-peer');
  reportPeer.hidden = isRoom || !conv.peer;
  if (conv.peer) reportPeer.setAttribute('aria-label', t('conv.report_peer_label', { name: conv.peer.pseudonym ?? conv.title }));
  const blockBtn = $('conv-block');
  const peerBlocked = Boolean(conv.peer && store.blocked.has(keyOf(conv.peer.id)));
  blockBtn.hidden = isRoom || !conv.peer;
  blockBtn.textContent = peerBlocked ? t('conv.unblock') : t('conv.block');
  const note = $('conv-note');
  note.hidden = !peerBlocked;
  note.textContent = peerBlocked ? t('conv.blocked_note') : '';
  $('composer').disabled = peerBlocked;
  $('emoji-toggle').disabled = peerBlocked;
  updateComposer();
}

// Each conversation keeps its own unsent text.
function swapDraft(conv) {
  const key = conv ? conv.key : null;
  if (key === renderedConv) return;
  if (emojiPicker) emojiPicker.close({ focus: null });
  const composer = $('composer');
  if (renderedConv !== null) drafts.set(renderedConv, composer.value);
  composer.value = key ? drafts.get(key) || '' : '';
  renderedConv = key;
  forceScroll = true;
  updateComposer();
}

function updateComposer() {
  const composer = $('composer');
  const n = charCount(composer.value);
  const max = store.maxChars;
  const counter = $('char-count');
  const over = n > max;
  counter.hidden = n < max * COUNTER_FROM;
  counter.textContent = over ? t('composer.too_long', { n, max }) : t('composer.count', { n, max });
  counter.classList.toggle('is-over', over);
  $('send').disabled = composer.disabled || over || !composer.value.trim();
  composer.setAttribute('aria-invalid', over ? 'true' : 'false');
  // Grow with the text up to a few lines, then scroll.
  composer.style.height = 'auto';
  composer.style.height = `${Math.min(composer.scrollHeight, COMPOSER_MAX_PX)}px`;
}

function sendComposer() {
  const conv = activeConv();
  const composer = $('composer');
  if (!conv || composer.disabled) return;
  if (chat.say(conv, composer.value)) {
    composer.value = '';
    drafts.delete(conv.key);
    forceScroll = true;
    updateComposer();
  }
}

function renderMessages() {
  const list = $('message-list');
  const conv = activeConv();
  const atBottom = list.scrollHeight - list.scrollTop - list.clientHeight < 48;
  if (!conv) {
    reconcile(list, [], { key: () => '', render: () => null });
    return;
  }
  const rows = messageRows(conv);
  const lang = getLang();
  const online = store.conn.state === 'open';
  const me = String(store.me?.pseudonym ?? '');
  const today = dayKey(Date.now());
  reconcile(list, rows, {
    key: (r) => `${conv.key}:${r.key}`,
    version: (r) => {
      if (r.kind === 'day') return [lang, today].join('|');
      if (r.kind === 'note') return lang;
      return [lang, r.m.v, r.m.state, r.m.state === 'pending' && online, me].join('|');
    },
    render: (r) => {
      if (r.kind === 'day') return h('li', { class: 'day-sep', testid: 'day-separator' }, h('span', {}, dayLabel(r.at)));
      if (r.kind === 'note') return renderNote(conv, r.note);
      return renderMessage(conv, r.m, online);
    },
  });
  if (forceScroll || atBottom) list.scrollTop = list.scrollHeight;
  forceScroll = false;
  if (store.isViewing(conv.key)) store.markRead(conv.key);
}

function dayKey(ms) {
  const d = new Date(ms);
  return `${d.getFullYear()}-${d.getMonth() + 1}-${d.getDate()}`;
}

// "Aujourd’hui", "Hier", else the weekday and date (with the year when it is not this one).
function dayLabel(ms) {
  const d = new Date(ms);
  const now = new Date();
  const yesterday = new Date(now.getFullYear(), now.getMonth(), now.getDate() - 1);
  if (dayKey(ms) === dayKey(now.getTime())) return t('day.today');
  if (dayKey(ms) === dayKey(yesterday.getTime())) return t('day.yesterday');
  const opts = { weekday: 'long', day: 'numeric', month: 'long' };
  if (d.getFullYear() !== now.getFullYear()) opts.year = 'numeric';
  return new Intl.DateTimeFormat(getLang(), opts).format(d);
}

// What the message list shows, in order: a separator at each new day, the messages (those of
// blocked people left out), the safety tips after the message they are about, then what is still
// being sent.
function messageRows(conv) {
  const rows = [];
  let lastDay = null;
  const day = (at) => {
    const k = dayKey(at);
    if (k === lastDay) return;
    lastDay = k;
    rows.push({ kind: 'day', key: `day:${k}`, at });
  };
  const notes = [...conv.notes].sort((a, b) => (a.afterSeq ?? 0) - (b.afterSeq ?? 0));
  let ni = 0;
  for (const m of conv.messages) {
    if (!m.own && store.blocked.has(keyOf(m.from?.id))) continue;
    while (ni < notes.length && (notes[ni].afterSeq ?? 0) < m.seq) rows.push({ kind: 'note', key: notes[ni].id, note: notes[ni++] });
    day(m.at);
    rows.push({ kind: 'msg', key: m.key, m });
  }
  while (ni < notes.length) rows.push({ kind: 'note', key: notes[ni].id, note: notes[ni++] });
  for (const p of conv.pending.values()) {
    day(p.at);
    rows.push({ kind: 'msg', key: p.key, m: p });
  }
  return rows;
}

// A safety tip shown inside the conversation, after the message it is about.
function renderNote(conv, note) {
  return h(
    'li',
    { class: 'conv-safety-note', testid: 'safety-note', data: { code: note.code } },
    h(
      'div',
      { role: 'note', class: 'conv-safety-note-body' },
      h('span', { class: 'conv-safety-icon', 'aria-hidden': 'true' }, '⚠'),
      h('p', {}, h('span', { class: 'visually-hidden' }, `${t('conv.safety_title')}. `), note.text, ' ', h('a', { href: '/securite', target: '_blank', rel: 'noopener' }, t('conv.safety_more'))),
    ),
    h(
      'button',
      { type: 'button', class: 'notice-close', 'aria-label': t('notice.dismiss'), on: { click: () => store.dismissNote(conv, note.id) } },
      h('span', { 'aria-hidden': 'true' }, '×'),
    ),
  );
}

// The text as nodes, with every mention of my pseudonym in a <mark>.
function textWithMentions(text, name) {
  const re = mentionPattern(name);
  if (!re) return [text];
  const parts = [];
  let last = 0;
  for (const match of text.matchAll(re)) {
    if (match.index > last) parts.push(text.slice(last, match.index));
    parts.push(h('mark', { class: 'mention' }, match[0]));
    last = match.index + match[0].length;
  }
  if (last < text.length) parts.push(text.slice(last));
  return parts;
}

function renderMessage(conv, m, online) {
  const from = m.from || {};
  const name = String(from.pseudonym ?? '?');
  const author = m.own
    ? userLabel(from, 'msg-author')
    : h(
        'button',
        {
          type: 'button',
          class: 'msg-author-btn',
          'aria-label': t('msg.author_label', { name }),
          on: { click: () => openProfile(knownUser(from)) },
        },
        userLabel(from, 'msg-author'),
      );
  let status = null;
  if (m.state === 'pending') {
    status = h('p', { class: 'msg-status' }, online ? t('msg.pending') : t('msg.waiting'));
  } else if (m.state === 'failed') {
    status = h(
      'p',
      { class: 'msg-status msg-status-failed', role: 'alert' },
      t('msg.failed', { reason: m.error }),
      ' ',
      h('button', { type: 'button', class: 'link-btn', on: { click: () => chat.retry(conv, m) } }, t('msg.retry')),
    );
  }
  const myName = store.me?.pseudonym;
  const mentioned = !m.own && myName ? textWithMentions(m.text, myName) : [m.text];
  const isMention = mentioned.length > 1 || (mentioned[0] instanceof Node);
  return h(
    'li',
    {
      class: ['msg', m.own && 'msg--own', isMention && 'msg--mention', m.state !== 'sent' && `msg--${m.state}`, `g-${genderOf(from.gender)}`],
      testid: 'message',
      data: { seq: m.seq, state: m.state, own: m.own ? 'true' : 'false', mention: isMention ? 'true' : null },
    },
    h(
      'div',
      { class: 'msg-meta' },
      author,
      m.own ? h('span', { class: 'msg-own-tag' }, t('msg.you')) : null,
      isMention ? h('span', { class: 'msg-mention-tag' }, t('msg.mention')) : null,
      h('time', { class: 'msg-time', datetime: new Date(m.at).toISOString() }, formatTime(m.at)),
      !m.own && m.seq != null
        ? h(
            'button',
            {
              type: 'button',
              class: 'msg-report',
              testid: 'report',
              'aria-label': t('msg.report_label', { name }),
              on: { click: () => openReport({ conv: conv.id, seq: m.seq }, t('report.title_msg', { name })) },
            },
            h('span', { 'aria-hidden': 'true' }, '⚑ '),
            t('msg.report'),
          )
        : null,
    ),
    h('p', { class: 'msg-text' }, mentioned),
    status,
  );
}

// The richest copy we have of a user: the live list has age and département, a msg only a name.
function knownUser(user) {
  return store.users.get(keyOf(user.id)) || user;
}

// A time-out (error timed_out) is shown above the composer with its end, until it ends.
function renderTimeout() {
  const note = $('timeout-note');
  clearTimeout(timeoutTimer);
  timeoutTimer = null;
  const until = store.timedOutUntil;
  const active = store.timedOut;
  note.hidden = !active;
  note.textContent = active ? t('timeout.note', { until: formatDateTime(until) }) : '';
  if (active) {
    const left = until - Date.now();
    // setTimeout holds at most 2^31-1 ms (about 24.8 days); a longer time-out re-arms itself.
    timeoutTimer = setTimeout(() => store.touch('timeout'), Math.min(left + 500, 2 ** 31 - 1));
  }
}

function renderTyping() {
  const conv = activeConv();
  const names = conv ? store.typingNames(conv) : [];
  let text = '';
  if (names.length === 1) text = t('typing.one', { a: names[0] });
  else if (names.length === 2) text = t('typing.two', { a: names[0], b: names[1] });
  else if (names.length > 2) text = t('typing.many');
  $('typing').textContent = text;
}

function renderUsers() {
  const meKey = keyOf(store.me?.id);
  const all = [...store.users.values()].sort((a, b) =>
    String(a.pseudonym).localeCompare(String(b.pseudonym), getLang(), { sensitivity: 'base' }),
  );
  const shown = all.slice(0, USERS_SHOWN);
  const lang = getLang();
  reconcile($('user-list'), shown, {
    key: (u) => keyOf(u.id),
    version: (u) => [lang, u.pseudonym, u.age, u.gender, u.departement, keyOf(u.id) === meKey].join('|'),
    render: (u) => {
      const isMe = keyOf(u.id) === meKey;
      const content = [
        userLabel(u, 'user-name'),
        isMe ? h('span', { class: 'user-you' }, t('users.you')) : null,
        h('span', { class: 'user-meta' }, userDetails(u)),
      ];
      return h(
        'li',
        {},
        isMe
          ? h('div', { class: 'user-item is-me', testid: 'user-item', data: { user: keyOf(u.id) } }, content)
          : h(
              'button',
              {
                type: 'button',
                class: 'user-item',
                testid: 'user-item',
                data: { user: keyOf(u.id) },
                on: { click: () => openProfile(u) },
              },
              content,
            ),
      );
    },
  });
  $('users-count').textContent = `(${all.length})`;
  $('users-count').setAttribute('aria-label', t('users.count', { n: all.length }));
  $('users-empty').hidden = all.length > 0;
  $('users-more').hidden = all.length <= USERS_SHOWN;
  $('users-more').textContent = t('users.more', { n: all.length - USERS_SHOWN });
}

function renderRequests() {
  const lang = getLang();
  const requests = [...store.requests.values()];
  reconcile($('pm-requests'), requests, {
    key: (r) => keyOf(r.request),
    version: (r) => [lang, (r.safety || []).length].join('|'),
    render: (r) => {
      const name = String(r.from?.pseudonym ?? '?');
      return h(
        'li',
        { class: 'request', data: { request: keyOf(r.request) } },
        h(
          'div',
          { class: 'request-from' },
          userLabel(r.from),
          h('span', { class: 'user-meta' }, userDetails(r.from)),
          r.at ? h('time', { class: 'msg-time', datetime: new Date(r.at).toISOString() }, formatTime(r.at)) : null,
        ),
        h('p', { class: 'request-preview' }, String(r.preview ?? '')),
        ...(r.safety || []).map((text) =>
          h(
            'p',
            { class: 'conv-safety-note-body request-safety', role: 'note', testid: 'safety-note' },
            h('span', { class: 'conv-safety-icon', 'aria-hidden': 'true' }, '⚠'),
            h('span', {}, h('span', { class: 'visually-hidden' }, `${t('conv.safety_title')}. `), text),
          ),
        ),
        h(
          'div',
          { class: 'actions' },
          h(
            'button',
            {
              type: 'button',
              class: 'btn btn-primary btn-small',
              testid: 'pm-accept',
              'aria-label': t('requests.accept_label', { name }),
              on: { click: () => chat.answerRequest(r, true) },
            },
            t('requests.accept'),
          ),
          h(
            'button',
            {
              type: 'button',
              class: 'btn btn-small',
              testid: 'pm-decline',
              'aria-label': t('requests.decline_label', { name }),
              on: { click: () => chat.answerRequest(r, false) },
            },
            t('requests.decline'),
          ),
          h(
            'button',
            {
              type: 'button',
              class: 'btn btn-small btn-danger',
              testid: 'block',
              on: { click: () => chat.block(r.from.id) },
            },
            t('requests.block'),
          ),
          h(
            'button',
            {
              type: 'button',
              class: 'btn btn-small btn-quiet',
              testid: 'report',
              on: { click: () => openReport({ user: r.from.id }, t('report.title_user', { name })) },
            },
            t('profile.report'),
          ),
        ),
      );
    },
  });
  $('requests-empty').hidden = requests.length > 0;
  $('requests-tip').hidden = requests.length === 0;

  const invites = [...store.invites.values()];
  $('invites-block').hidden = invites.length === 0;
  reconcile($('invites'), invites, {
    key: (i) => keyOf(i.room.id),
    version: () => lang,
    render: (i) =>
      h(
        'li',
        { class: 'request' },
        h('p', {}, t('invites.from', { by: i.by?.pseudonym ?? '?', room: i.room.name ?? '?' })),
        h(
          'div',
          { class: 'actions' },
          h('button', { type: 'button', class: 'btn btn-primary btn-small', on: { click: () => chat.joinRoom(i.room) } }, t('invites.join')),
          h('button', { type: 'button', class: 'btn btn-small', on: { click: () => chat.dismissInvite(i.room.id) } }, t('invites.dismiss')),
        ),
      ),
  });
}

function renderNotices() {
  const lang = getLang();
  reconcile($('notices'), store.notices, {
    key: (n) => n.id,
    version: () => lang,
    render: (n) =>
      h(
        'div',
        { class: ['notice', `notice--${n.kind}`], data: { kind: n.kind } },
        h('p', { class: 'notice-text' }, n.text),
        h(
          'button',
          { type: 'button', class: 'notice-close', 'aria-label': t('notice.dismiss'), on: { click: () => store.dismiss(n.id) } },
          h('span', { 'aria-hidden': 'true' }, '×'),
        ),
      ),
  });
}

function renderConn() {
  const { state } = store.conn;
  const inChat = !$('chat').hidden;
  const status = $('conn-status');
  status.hidden = !inChat;
  const label = state === 'open' ? 'conn.online' : state === 'waiting' ? 'conn.offline' : 'conn.connecting';
  status.textContent = t(label);
  status.dataset.state = state;
  const banner = $('offline');
  const showBanner = inChat && (state === 'waiting' || (state === 'connecting' && banner.dataset.seen === 'true'));
  banner.hidden = !showBanner;
  if (state === 'waiting') banner.dataset.seen = 'true';
  if (state === 'open') banner.dataset.seen = 'false';
  clearInterval(offlineTicker);
  offlineTicker = null;
  if (!showBanner) return;
  const tick = () => {
    const s = Math.max(0, Math.ceil((store.conn.retryAt - Date.now()) / 1000));
    $('offline-text').textContent = state === 'waiting' ? t('offline.waiting', { s }) : t('offline.connecting');
  };
  tick();
  if (state === 'waiting') offlineTicker = setInterval(tick, 1000);
}

function renderBadges() {
  let unread = 0;
  for (const c of store.convs.values()) unread += c.unread;
  const pending = store.requests.size + store.invites.size;
  const convBadge = $('badge-conv');
  convBadge.hidden = unread === 0;
  convBadge.textContent = String(unread);
  const reqBadge = $('badge-requests');
  reqBadge.hidden = pending === 0;
  reqBadge.textContent = String(pending);
  // The title counts what is addressed to me (private messages, mentions, requests), not the
  // chatter of busy rooms, which would keep it lit all the time.
  let personal = pending;
  for (const c of store.convs.values()) {
    if (c.kind === 'pm') personal += c.unread;
    else if (c.mentioned) personal += 1;
  }
  document.title = personal ? `(${personal}) ${t('app.name')}` : t('app.name');
  renderNotifyButton();
}

// The bell appears while the browser can show notifications and has not been asked yet.
function renderNotifyButton() {
  $('notify-enable').hidden = $('chat').hidden || notify.permission() !== 'default';
}

// --- dialogs ---------------------------------------------------------------------------------

function closeButton(dialog) {
  return h(
    'button',
    { type: 'button', class: 'dialog-close', 'aria-label': t('dialog.close'), on: { click: () => closeDialog(dialog) } },
    h('span', { 'aria-hidden': 'true' }, '×'),
  );
}

function openProfile(user) {
  if (!user || user.id == null) return;
  const dialog = $('dialog');
  const name = String(user.pseudonym ?? '?');
  const uid = keyOf(user.id);
  if (uid === keyOf(store.me?.id)) return;
  const blocked = store.blocked.has(uid);
  const existing = [...store.convs.values()].find((c) => c.kind === 'pm' && c.peer && keyOf(c.peer.id) === uid);
  const active = activeConv();
  const privateRoom = active && active.kind === 'room' && store.room(active.roomId)?.kind === 'private' ? active : null;

  // One error line for whatever the dialog's buttons attempt (request, invite).
  const error = h('p', { class: 'form-error', role: 'alert', testid: 'pm-error' });
  const pmText = h('textarea', { id: 'pm-text', testid: 'pm-text', rows: '3', required: true, 'aria-describedby': 'pm-hint' });
  const submit = h('button', { type: 'submit', class: 'btn btn-primary', testid: 'pm-send' }, t('profile.pm_send'));
  const pmForm = h(
    'form',
    {
      class: 'stack pm-form',
      hidden: true,
      on: {
        submit: (e) => {
          e.preventDefault();
          const text = pmText.value;
          if (!text.trim()) return;
          if (charCount(text) > store.maxChars) {
            error.textContent = t('error.too_long');
            return;
          }
          submit.disabled = true;
          chat
            .requestPm(user, text)
            .then(() => {
              store.notify(t('pm.sent', { name }));
              closeDialog(dialog);
            })
            .catch((err) => {
              error.textContent = err.message;
              submit.disabled = false;
            });
        },
      },
    },
    h('label', { for: 'pm-text' }, t('profile.pm_label')),
    pmText,
    h('p', { id: 'pm-hint', class: 'hint' }, t('profile.pm_hint', { name })),
    submit,
  );

  const actions = h('div', { class: 'actions' });
  if (!blocked) {
    actions.append(
      h(
        'button',
        {
          type: 'button',
          class: 'btn btn-primary',
          testid: 'pm-request',
          on: {
            click: () => {
              if (existing) {
                closeDialog(dialog);
                chat.openConv(existing.key);
                return;
              }
              pmForm.hidden = false;
              pmText.focus();
            },
          },
        },
        t('profile.pm'),
      ),
    );
  }
  if (privateRoom && !blocked) {
    actions.append(
      h(
        'button',
        {
          type: 'button',
          class: 'btn',
          testid: 'invite',
          on: {
            click: () =>
              chat
                .invite(privateRoom.roomId, user)
                .then(() => closeDialog(dialog))
                .catch((err) => {
                  error.textContent = chat.errorText(err.code, err.message);
                }),
          },
        },
        t('profile.invite', { room: privateRoom.title }),
      ),
    );
  }
  actions.append(
    h(
      'button',
      {
        type: 'button',
        class: 'btn btn-danger',
        testid: 'block',
        on: {
          click: () => {
            if (blocked) chat.unblock(user.id);
            else chat.block(user.id);
            closeDialog(dialog);
          },
        },
      },
      blocked ? t('profile.unblock') : t('profile.block'),
    ),
    h(
      'button',
      {
        type: 'button',
        class: 'btn btn-quiet',
        testid: 'report',
        on: { click: () => openReport({ user: user.id }, t('report.title_user', { name })) },
      },
      t('profile.report'),
    ),
  );
  const details = [userDetails(user), user.gender ? t(`gender.${genderOf(user.gender)}`) : ''].filter(Boolean).join(' · ');
  showDialog(
    dialog,
    'dialog-title',
    h(
      'div',
      { class: 'dialog-body', testid: 'profile' },
      closeButton(dialog),
      h('h2', { id: 'dialog-title', class: 'dialog-title' }, userLabel(user)),
      details ? h('p', { class: 'profile-details' }, details) : null,
      actions,
      pmForm,
      error,
    ),
  );
}

function reportCategories() {
  const published = chat.reportCategoriesFromServer();
  if (published) return published;
  const fromServer = store.config?.report_categories;
  const list = Array.isArray(fromServer) && fromServer.length ? fromServer : REPORT_CATEGORIES;
  return list.map((c) => {
    const code = typeof c === 'object' ? String(c.code) : String(c);
    const label = typeof c === 'object' && c.label ? String(c.label) : has(`report.cat.${code}`) ? t(`report.cat.${code}`) : code;
    return { code, label };
  });
}

// The public notice form (/report) for the same target: a receipt and a way to follow it.
function publicReportUrl(target) {
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(target)) if (v != null) params.set(k, String(v));
  return `/report?${params}`;
}

function openReport(target, title) {
  const dialog = $('dialog');
  // No reason is chosen for the person: the first of the list is the gravest (child safety), and
  // a report filed there by a slip would jump the moderators' queue.
  const options = () => [
    h('option', { value: '' }, t('report.category_choose')),
    ...reportCategories().map((c) => h('option', { value: c.code }, c.label)),
  ];
  const select = h('select', { id: 'report-category', testid: 'report-category', required: true, 'aria-describedby': 'report-error' }, options());
  if (!chat.reportCategoriesFromServer()) {
    chat.loadReportCategories().then((list) => {
      if (!list || !select.isConnected) return;
      const chosen = select.value;
      select.replaceChildren(...options());
      select.value = chosen;
    });
  }
  const error = h('p', { id: 'report-error', class: 'form-error', role: 'alert', testid: 'report-error' });
  select.addEventListener('change', () => {
    if (select.value) {
      error.textContent = '';
      select.removeAttribute('aria-invalid');
    }
  });
  const text = h('textarea', { id: 'report-text', testid: 'report-text', rows: '3', maxlength: String(REPORT_TEXT_MAX) });
  const form = h(
    'form',
    {
      class: 'stack',
      novalidate: true,
      on: {
        submit: (e) => {
          e.preventDefault();
          if (!select.value) {
            error.textContent = t('report.category_missing');
            select.setAttribute('aria-invalid', 'true');
            select.focus();
            return;
          }
          if (chat.report(target, select.value, text.value.trim())) closeDialog(dialog);
        },
      },
    },
    h('label', { for: 'report-category' }, t('report.category')),
    select,
    h('label', { for: 'report-text' }, t('report.text')),
    text,
    error,
    h('p', { class: 'hint' }, t('report.anonymous')),
    h(
      'div',
      { class: 'actions' },
      h('button', { type: 'button', class: 'btn', on: { click: () => closeDialog(dialog) } }, t('dialog.cancel')),
      h('button', { type: 'submit', class: 'btn btn-primary', testid: 'report-submit' }, t('report.submit')),
    ),
    h(
      'p',
      { class: 'hint' },
      t('report.public_hint'),
      ' ',
      h(
        'a',
        { href: publicReportUrl(target), target: '_blank', rel: 'noopener', testid: 'report-public-link' },
        t('report.public_link'),
      ),
    ),
  );
  showDialog(
    dialog,
    'dialog-title',
    h(
      'div',
      { class: 'dialog-body', testid: 'report-dialog' },
      closeButton(dialog),
      h('h2', { id: 'dialog-title', class: 'dialog-title' }, title),
      form,
    ),
  );
  select.focus();
}

async function onCreateRoom(e) {
  e.preventDefault();
  const name = $('create-room-name');
  const topic = $('create-room-topic');
  const error = $('create-room-error');
  error.textContent = '';
  if (!name.value.trim()) return;
  try {
    await chat.createRoom(name.value.trim(), topic.value.trim());
    name.value = '';
    topic.value = '';
    e.target.closest('details').open = false;
  } catch (err) {
    error.textContent = chat.errorText(err.code, err.message);
  }
}

export function resetChatView() {
  drafts.clear();
  renderedConv = null;
  $('composer').value = '';
  for (const id of ['filter-age-min', 'filter-age-max']) $(id).value = '';
  $('filter-gender').value = '';
  $('filter-mine').checked = false;
  closeDialog($('dialog'));
  clear($('offline-text'));
}
