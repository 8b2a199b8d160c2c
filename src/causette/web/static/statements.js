// Statements of reasons (DSA art. 17) and appeals (art. 20), as the affected user sees them.
// They arrive as `notice{code: "statement_of_reasons"}` frames in the chat, and from
// GET /api/v1/statements (session token and device cookie) on the entry page and at start. The
// panel shows what was restricted, until when, the facts, whether automated means were used, the
// ground, and the appeal: a form while it is possible, then its state and the reply.

import * as api from './api.js';
import { has, onLangChange, t } from './i18n.js';
import { formatDateTime, h } from './ui.js';

const APPEAL_MAX = 4000;
// Statements the user put away in this tab; a new one, or a refused entry, shows again.
const HIDDEN_KEY = 'causette.statements.hidden.v1';
// Fields of a statement a notice frame may carry besides its id.
const FIELDS = [
  'action',
  'restriction',
  'until',
  'facts',
  'automated_detection',
  'automated_decision',
  'ground',
  'decided_at',
  'status',
];

const statements = new Map(); // id → statement, in the shape of GET /api/v1/statements
const drafts = new Map(); // id → appeal text being written
const errors = new Map(); // id → the last error of its appeal
const sending = new Set();
let hidden = readHidden();
let container = null;

function readHidden() {
  try {
    const list = JSON.parse(sessionStorage.getItem(HIDDEN_KEY) || '[]');
    return new Set(Array.isArray(list) ? list.map(String) : []);
  } catch {
    return new Set();
  }
}

function saveHidden() {
  try {
    sessionStorage.setItem(HIDDEN_KEY, JSON.stringify([...hidden]));
  } catch {
    // Not kept across reloads: the panel shows again, which is the safe side.
  }
}

export function mount(el) {
  container = el;
  onLangChange(render);
  render();
}

function isObject(v) {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

// Merge what is known about a statement; an absent or null field never erases a known one (a
// notice's key stays when the list comes back without it, and the other way round).
function upsert(partial) {
  if (!isObject(partial) || partial.id == null) return null;
  const id = String(partial.id);
  const known = statements.get(id) || { id, appeal: {} };
  const merged = { ...known };
  for (const [k, v] of Object.entries(partial)) {
    if (k === 'appeal') continue;
    if (v !== undefined && (v !== null || !(k in known))) merged[k] = v;
  }
  const appeal = { ...(known.appeal || {}) };
  if (isObject(partial.appeal)) {
    for (const [k, v] of Object.entries(partial.appeal)) {
      if (v !== undefined && (v !== null || !(k in appeal) || k === 'state' || k === 'reply')) appeal[k] = v;
    }
  }
  merged.appeal = appeal;
  statements.set(id, merged);
  return merged;
}

function show(id) {
  if (hidden.delete(String(id))) saveHidden();
}

// The `notice{code: "statement_of_reasons", text, statement}` frame: `statement` is the statement
// itself or its id; the key to appeal travels in it (statement.appeal.key) or beside it (key).
// `keepText`: the frame's text is about something else (an appeal's outcome): not the statement's.
export function fromNotice(frame, { keepText = false } = {}) {
  const raw = frame.statement;
  const partial = isObject(raw) ? { ...raw } : { id: raw ?? frame.id };
  if (partial.id == null) return null;
  for (const k of FIELDS) if (partial[k] === undefined && frame[k] !== undefined) partial[k] = frame[k];
  if (frame.text && !keepText) partial.text = String(frame.text);
  const appeal = isObject(partial.appeal) ? { ...partial.appeal } : {};
  if (appeal.key == null && frame.key != null) appeal.key = frame.key;
  if (appeal.until == null && frame.appeal_until != null) appeal.until = frame.appeal_until;
  partial.appeal = appeal;
  if (partial.status === undefined && !statements.has(String(partial.id))) partial.status = 'in_force';
  const s = upsert(partial);
  show(s.id);
  render();
  if (container && !container.hidden) container.scrollIntoView({ block: 'nearest' });
  // The list has the full statement (ground, dates, appeal window): fill in what the frame lacked.
  load();
  return s;
}

// GET /api/v1/statements. `reveal`: a statement id to show even if put away (a refused entry).
export async function load({ reveal = null } = {}) {
  try {
    const list = await api.getStatements();
    if (Array.isArray(list)) for (const s of list) upsert(s);
  } catch {
    // Keep what the frames told us; the entry page and the next start try again.
  }
  if (reveal != null) {
    show(reveal);
    if (!statements.has(String(reveal))) upsert({ id: reveal, action: 'ban', status: 'in_force' });
  }
  render();
}

// The end of the time-out in force, if any (0 otherwise): a reloaded tab shows it before the
// next refused message.
export function timedOutUntil(now = Date.now()) {
  let until = 0;
  for (const s of statements.values()) {
    if (s.action === 'timeout' && s.status === 'in_force' && Number(s.until) > now) until = Math.max(until, s.until);
  }
  return until;
}

export function hasActiveBan() {
  for (const s of statements.values()) if (s.action === 'ban' && s.status === 'in_force') return true;
  return false;
}

function visible(s) {
  if (hidden.has(s.id)) return false;
  return s.status === 'in_force' || Boolean(s.appeal && s.appeal.state) || Boolean(s.text);
}

function label(key, fallback) {
  return has(key) ? t(key) : String(fallback ?? '');
}

function groundText(g) {
  if (!g) return '';
  if (!isObject(g)) return String(g);
  const kind = g.kind ? label(`ground.kind.${g.kind}`, g.kind) : '';
  const ref = [kind, g.ref].filter(Boolean).join(' ');
  return [g.title, ref && `(${ref})`].filter(Boolean).join(' ');
}

function yesNo(value, yesKey, noKey) {
  if (value === undefined || value === null) return null;
  return value ? t(yesKey) : t(noKey);
}

function render() {
  if (!container) return;
  const list = [...statements.values()].filter(visible).sort((a, b) => (b.decided_at || 0) - (a.decided_at || 0));
  container.hidden = list.length === 0;
  if (!list.length) {
    container.replaceChildren();
    return;
  }
  container.replaceChildren(
    h('h2', { id: 'statements-title', class: 'statements-title', tabindex: '-1' }, t('statement.panel_title')),
    ...list.map(renderStatement),
  );
}

function renderStatement(s) {
  const titleId = `statement-${s.id}-title`;
  // The catalogue's wording first (it follows the language switch), the server's otherwise.
  const restriction = (s.action && has(`decision.${s.action}`) ? t(`decision.${s.action}`) : s.restriction) || t('statement.title');
  const rows = [
    [t('statement.restriction'), restriction],
    s.until
      ? [t('statement.until'), formatDateTime(s.until)]
      : s.action === 'ban'
        ? [t('statement.until'), t('statement.no_end')]
        : null,
    s.facts ? [t('statement.facts'), h('span', { class: 'pre-wrap' }, String(s.facts))] : null,
    s.ground ? [t('statement.ground'), groundText(s.ground)] : null,
    [t('statement.automated_detection'), yesNo(s.automated_detection, 'statement.auto_detect_yes', 'statement.auto_detect_no')],
    [t('statement.automated_decision'), yesNo(s.automated_decision, 'statement.auto_decide_yes', 'statement.auto_decide_no')],
    s.decided_at ? [t('statement.decided_at'), formatDateTime(s.decided_at)] : null,
    s.status ? [t('statement.status'), label(`statement.status.${s.status}`, s.status)] : null,
  ].filter((r) => r && r[1] !== null && r[1] !== '');
  return h(
    'article',
    {
      class: ['statement', `statement--${s.status || 'unknown'}`],
      testid: 'statement',
      'aria-labelledby': titleId,
      data: { statement: s.id, status: s.status, action: s.action },
    },
    h(
      'header',
      { class: 'statement-head' },
      h('h3', { id: titleId, class: 'statement-title' }, t('statement.title_action', { what: restriction })),
      h(
        'button',
        {
          type: 'button',
          class: 'btn btn-quiet btn-small',
          testid: 'statement-hide',
          on: {
            click: () => {
              hidden.add(s.id);
              saveHidden();
              render();
            },
          },
        },
        t('statement.hide'),
      ),
    ),
    s.text ? h('p', { class: 'statement-text pre-wrap' }, String(s.text)) : null,
    h('dl', { class: 'kv-plain' }, rows.map(([dt, dd]) => [h('dt', {}, dt), h('dd', {}, dd)])),
    renderAppeal(s),
    h('p', { class: 'hint' }, t('statement.remedies')),
  );
}

function renderAppeal(s) {
  const a = s.appeal || {};
  const state = a.state || null;
  if (state) {
    return h(
      'div',
      { class: ['appeal-state', `appeal-state--${state}`], testid: 'appeal-state', data: { state } },
      h('p', { class: 'appeal-state-text' }, label(`statement.appeal.${state}`, state)),
      a.reply ? h('p', { class: 'pre-wrap' }, t('statement.appeal.reply', { reply: String(a.reply) })) : null,
    );
  }
  if (s.status === 'reversed') return null;
  if (a.until && a.until < Date.now()) {
    return h('p', { class: 'appeal-state', testid: 'appeal-state', data: { state: 'closed' } }, t('statement.appeal.closed'));
  }
  if (!a.key) return h('p', { class: 'hint', testid: 'appeal-unavailable' }, t('statement.appeal.no_key'));

  const textId = `appeal-${s.id}-text`;
  const hintId = `appeal-${s.id}-hint`;
  const text = h('textarea', {
    id: textId,
    testid: 'appeal-text',
    rows: '3',
    maxlength: String(APPEAL_MAX),
    required: true,
    'aria-describedby': hintId,
    value: drafts.get(s.id) || '',
    on: { input: (e) => drafts.set(s.id, e.target.value) },
  });
  const error = h('p', { class: 'form-error', role: 'alert', testid: 'appeal-error' }, errors.get(s.id) || '');
  const submit = h(
    'button',
    { type: 'submit', class: 'btn btn-primary btn-small', testid: 'appeal-submit', disabled: sending.has(s.id) },
    t('statement.appeal.submit'),
  );
  return h(
    'form',
    {
      class: 'stack appeal-form',
      testid: 'appeal-form',
      novalidate: true,
      on: {
        submit: (e) => {
          e.preventDefault();
          sendAppeal(s, text.value.trim(), error, text);
        },
      },
    },
    h('label', { for: textId }, t('statement.appeal.label')),
    text,
    h(
      'p',
      { id: hintId, class: 'hint' },
      a.until ? t('statement.appeal.hint_until', { until: formatDateTime(a.until) }) : t('statement.appeal.hint'),
    ),
    error,
    h('div', { class: 'actions' }, submit),
  );
}

async function sendAppeal(s, text, errorEl, field) {
  if (!text) {
    errorEl.textContent = t('statement.appeal.empty');
    field.focus();
    return;
  }
  if (text.length > APPEAL_MAX) {
    errorEl.textContent = t('statement.appeal.too_long', { max: APPEAL_MAX });
    return;
  }
  sending.add(s.id);
  errors.delete(s.id);
  render();
  try {
    const res = await api.appeal(s.id, s.appeal.key, text);
    upsert({ id: s.id, appeal: { state: res?.status || 'open', id: res?.id } });
    drafts.delete(s.id);
  } catch (err) {
    if (err.code === 'appeal_exists') upsert({ id: s.id, appeal: { state: 'open' } });
    else errors.set(s.id, err.code === 'network' ? t('error.network') : label(`statement.error.${err.code}`, err.message || err.code));
  } finally {
    sending.delete(s.id);
    render();
  }
}
