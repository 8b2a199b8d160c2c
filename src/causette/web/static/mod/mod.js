// The moderation console (docs/moderation.md, "The console"): login with password and TOTP, the
// queue of cases on the left, the case on the right, the appeals view, and the keyboard.

import { applyI18n, getLang, has, onLangChange, t, toggleLang } from '../i18n.js';
import { formatDateTime, h, reconcile, userLabel } from '../ui.js';
import * as api from './api.js';
import { renderAppeals } from './appeals.js';
import { ACTION_KEYS, CaseView, decisionLabel, originLabel, severityLabel } from './case.js';
import { labelOr, relativeTime } from './format.js';

const $ = (id) => document.getElementById(id);

const QUEUE_LIMIT = 100;
const POLL_MS = 20000;
// Every request resets the server's idle timeout (mod_session_idle_seconds, 30 min). Polling only
// while the moderator has touched the console recently keeps that timeout meaningful: a console
// left open on an empty desk still logs out.
const ACTIVE_MS = 5 * 60 * 1000;
const TOAST_MS = 6000;
const MAX_TOASTS = 4;
const MAX_TIMER_MS = 2 ** 31 - 1;
const ACTION_BY_KEY = Object.fromEntries(Object.entries(ACTION_KEYS).map(([action, key]) => [key, action]));

const state = {
  me: null,
  grounds: [],
  categories: new Map(),
  queue: [],
  queueLoaded: false,
  queueError: '',
  selected: null,
  lastIndex: 0,
  view: 'queue',
  appeals: [],
  appealsError: '',
  lastActivity: Date.now(),
};

let caseView = null;
let pollTimer = null;
let expiryTimer = null;
let caseRequest = 0;

function categoryLabel(id) {
  const c = state.categories.get(String(id));
  const label = c && c.label ? c.label[getLang()] || c.label.fr : null;
  return label || labelOr(`report.cat.${id}`, labelOr(`mod.label.${id}`, id));
}

function errorText(err) {
  if (!err) return t('error.unknown', { code: '?' });
  if (err.code === 'network') return t('error.network');
  if (has(`mod.error.${err.code}`)) return t(`mod.error.${err.code}`);
  return err.message || t('error.unknown', { code: err.code });
}

// --- boot ------------------------------------------------------------------------------------

function boot() {
  applyI18n();
  caseView = new CaseView($('case'), {
    grounds: [],
    me: null,
    categoryLabel,
    onAction,
    onExport,
    onOpenCase: (id) => selectCase(id),
  });
  $('lang-switch').addEventListener('click', toggleLang);
  $('login-form').addEventListener('submit', onLogin);
  $('logout').addEventListener('click', logout);
  $('queue-refresh').addEventListener('click', () => refreshQueue());
  $('appeals-refresh').addEventListener('click', () => refreshAppeals());
  $('help-open').addEventListener('click', openHelp);
  $('case-back').addEventListener('click', () => setPane('queue'));
  for (const btn of document.querySelectorAll('[data-view]')) {
    btn.addEventListener('click', () => (btn.dataset.view === 'appeals' ? showAppeals() : setView('queue')));
  }
  document.addEventListener('keydown', onKey);
  for (const type of ['pointerdown', 'input']) {
    document.addEventListener(type, () => (state.lastActivity = Date.now()), { passive: true });
  }
  document.addEventListener('visibilitychange', () => {
    if (!document.hidden && isActive()) refreshQueue();
  });
  onLangChange(() => {
    applyI18n();
    renderWho();
    renderQueue();
    if (caseView.detail) caseView.show(caseView.detail);
    renderAppealsView();
  });
  api.setUnauthorizedHandler(() => sessionExpired());
  if (api.getSession()) start();
  else showLogin();
}

// --- login and session -----------------------------------------------------------------------

function showLogin(message = '') {
  stopTimers();
  $('console').hidden = true;
  $('mod-nav').hidden = true;
  $('logout').hidden = true;
  $('help-open').hidden = true;
  $('mod-who').textContent = '';
  $('login').hidden = false;
  $('login-error').textContent = message;
  document.title = t('mod.brand');
  $('login-name').focus();
}

async function onLogin(e) {
  e.preventDefault();
  const name = $('login-name').value.trim();
  const password = $('login-password').value;
  const code = $('login-code').value.replace(/\s+/g, '');
  const error = $('login-error');
  if (!name || !password || !code) {
    error.textContent = t('mod.login.missing');
    return;
  }
  if (!/^\d{6}$/.test(code)) {
    error.textContent = t('mod.login.code_format');
    $('login-code').focus();
    return;
  }
  const submit = $('login-submit');
  submit.disabled = true;
  error.textContent = '';
  try {
    const res = await api.login(name, password, code);
    api.setSession({ token: res.token, moderator: res.moderator, expires_at: res.expires_at });
    $('login-password').value = '';
    $('login-code').value = '';
    await start();
  } catch (err) {
    error.textContent =
      err.code === 'login_failed' ? t('mod.login.failed') : err.code === 'locked' ? t('mod.login.locked') : errorText(err);
    $('login-code').value = '';
    $('login-code').focus();
  } finally {
    submit.disabled = false;
  }
}

async function start() {
  const session = api.getSession();
  state.me = session?.moderator || null;
  try {
    state.me = await api.me();
  } catch (err) {
    if (err.status === 401) return; // sessionExpired() already showed the login form
    toast(errorText(err), 'error');
  }
  const [grounds, categories] = await Promise.allSettled([api.grounds(), api.categories()]);
  if (!api.getSession()) return;
  state.grounds = grounds.status === 'fulfilled' && Array.isArray(grounds.value) ? grounds.value : [];
  if (categories.status === 'fulfilled' && Array.isArray(categories.value)) {
    state.categories = new Map(categories.value.map((c) => [String(c.id), c]));
  }
  caseView.ctx.grounds = state.grounds;
  caseView.ctx.me = state.me;
  showConsole();
  scheduleExpiry(session?.expires_at);
  clearInterval(pollTimer);
  pollTimer = setInterval(() => {
    if (isActive() && state.view === 'queue') refreshQueue();
  }, POLL_MS);
  await refreshQueue();
}

function isActive() {
  return !document.hidden && Date.now() - state.lastActivity < ACTIVE_MS && Boolean(api.getSession());
}

function scheduleExpiry(expiresAt) {
  clearTimeout(expiryTimer);
  const at = Number(expiresAt);
  if (!Number.isFinite(at) || at <= 0) return;
  const delay = at - Date.now();
  if (delay <= 0) return sessionExpired();
  if (delay < MAX_TIMER_MS) expiryTimer = setTimeout(sessionExpired, delay);
}

function stopTimers() {
  clearInterval(pollTimer);
  pollTimer = null;
  clearTimeout(expiryTimer);
  expiryTimer = null;
}

function resetState() {
  Object.assign(state, {
    me: null,
    queue: [],
    queueLoaded: false,
    queueError: '',
    selected: null,
    lastIndex: 0,
    view: 'queue',
    appeals: [],
    appealsError: '',
  });
  caseView.clear();
  $('case').hidden = true;
  $('case-empty').hidden = false;
  reconcile($('queue'), [], { key: () => '', render: () => null });
  $('appeal-list').replaceChildren();
}

function sessionExpired() {
  api.setSession(null);
  resetState();
  if ($('help').open) $('help').close();
  showLogin(t('mod.session.expired'));
}

async function logout() {
  try {
    await api.logout();
  } catch {
    // The token is dropped here anyway; it dies on the server at its expiry.
  }
  api.setSession(null);
  resetState();
  showLogin(t('mod.logged_out'));
}

function showConsole() {
  $('login').hidden = true;
  $('console').hidden = false;
  $('mod-nav').hidden = false;
  $('logout').hidden = false;
  $('help-open').hidden = false;
  renderWho();
  setView('queue');
}

function renderWho() {
  const me = state.me;
  $('mod-who').textContent = me ? t('mod.who', { name: me.name, role: labelOr(`mod.role.${me.role}`, me.role) }) : '';
}

// --- views -----------------------------------------------------------------------------------

function setView(view) {
  state.view = view;
  $('queue-view').hidden = view !== 'queue';
  $('appeals-view').hidden = view !== 'appeals';
  for (const btn of document.querySelectorAll('[data-view]')) {
    if (btn.dataset.view === view) btn.setAttribute('aria-current', 'page');
    else btn.removeAttribute('aria-current');
  }
}

// On a phone one pane shows at a time: the queue, or the case.
function setPane(pane) {
  $('console').dataset.pane = pane;
  if (pane === 'queue') {
    const item = document.querySelector(`.queue-item[data-case="${CSS.escape(String(state.selected ?? ''))}"]`);
    if (item && !window.matchMedia('(min-width: 900px)').matches) item.focus();
  }
}

// --- queue -----------------------------------------------------------------------------------

async function refreshQueue() {
  if (!api.getSession()) return;
  try {
    const list = await api.queue(QUEUE_LIMIT);
    state.queue = Array.isArray(list) ? list : [];
    state.queueLoaded = true;
    state.queueError = '';
  } catch (err) {
    if (err.status === 401) return;
    state.queueError = err.status === 403 ? t('mod.queue.forbidden') : errorText(err);
  }
  renderQueue();
}

function renderQueue() {
  const lang = getLang();
  reconcile($('queue'), state.queue, {
    key: (c) => String(c.id),
    version: (c) =>
      [lang, c.updated_at, c.reports, c.status, c.severity, c.origin, c.legal_hold, c.id === state.selected].join('|'),
    render: renderQueueItem,
  });
  const n = state.queue.length;
  $('queue-count').textContent = state.queueLoaded ? `(${n})` : '';
  const status = $('queue-status');
  status.textContent = state.queueError || (!state.queueLoaded ? t('mod.queue.loading') : n ? '' : t('mod.queue.empty'));
  status.hidden = !status.textContent;
  const badge = $('queue-badge');
  badge.hidden = n === 0;
  badge.textContent = String(n);
  document.title = n ? `(${n}) ${t('mod.brand')}` : t('mod.brand');
}

function renderQueueItem(c) {
  const selected = c.id === state.selected;
  return h(
    'li',
    {},
    h(
      'button',
      {
        type: 'button',
        class: ['queue-item', selected && 'is-selected', `sev-${c.severity}`],
        testid: 'queue-item',
        data: { case: c.id },
        'aria-current': selected ? 'true' : null,
        on: { click: () => selectCase(c.id) },
      },
      h(
        'span',
        { class: 'queue-line' },
        h('span', { class: ['chip', `sev-${c.severity}`] }, severityLabel(c.severity)),
        h('strong', { class: 'queue-cat' }, categoryLabel(c.category)),
        h('span', { class: ['chip', `origin-${c.origin}`] }, originLabel(c.origin)),
        c.legal_hold ? h('span', { class: 'chip chip-hold' }, t('mod.legal_hold')) : null,
      ),
      h('span', { class: 'queue-summary', testid: 'queue-summary' }, String(c.summary ?? c.target ?? '')),
      h(
        'span',
        { class: 'queue-meta' },
        c.subject ? userLabel(c.subject) : null,
        h('span', {}, t('mod.reports_n', { n: Number(c.reports) || 0 })),
        c.created_at
          ? h(
              'time',
              { datetime: new Date(c.created_at).toISOString(), title: formatDateTime(c.created_at) },
              relativeTime(c.created_at),
            )
          : null,
      ),
    ),
  );
}

function move(delta) {
  setView('queue');
  const n = state.queue.length;
  if (!n) return;
  let idx = state.queue.findIndex((c) => c.id === state.selected);
  if (idx < 0) {
    // The open case left the queue (decided): the one that took its place is "next".
    const at = Math.min(state.lastIndex, n);
    idx = delta > 0 ? Math.min(at, n - 1) : Math.max(0, at - 1);
  } else {
    idx = Math.max(0, Math.min(n - 1, idx + delta));
  }
  selectCase(state.queue[idx].id, { fromKeyboard: true });
}

async function selectCase(id, { fromKeyboard = false } = {}) {
  setView('queue');
  state.selected = id;
  const idx = state.queue.findIndex((c) => c.id === id);
  if (idx >= 0) state.lastIndex = idx;
  renderQueue();
  if (fromKeyboard) {
    const item = document.querySelector(`.queue-item[data-case="${CSS.escape(String(id))}"]`);
    if (item) item.scrollIntoView({ block: 'nearest' });
  }
  setPane('case');
  await loadCase(id);
}

async function loadCase(id) {
  const request = ++caseRequest;
  $('case-empty').hidden = true;
  $('case-loading').hidden = false;
  try {
    const detail = await api.getCase(id);
    if (request !== caseRequest) return;
    caseView.show(detail);
    $('case').hidden = false;
    $('case').dataset.case = String(id);
  } catch (err) {
    if (request !== caseRequest || err.status === 401) return;
    toast(errorText(err), 'error');
    if (caseView.caseId !== id) {
      $('case').hidden = true;
      $('case-empty').hidden = false;
    }
  } finally {
    if (request === caseRequest) $('case-loading').hidden = true;
  }
}

// --- actions ---------------------------------------------------------------------------------

async function onAction(action, body) {
  const id = caseView.caseId;
  if (!id) return;
  caseView.setBusy(true);
  try {
    await api.act(id, body);
    toast(t('mod.action_done', { action: decisionLabel(action) }), 'ok');
    await Promise.all([refreshQueue(), loadCase(id)]);
  } catch (err) {
    if (err.status === 401) return;
    caseView.setError(errorText(err));
  } finally {
    caseView.setBusy(false);
  }
}

async function onExport() {
  const id = caseView.caseId;
  if (!id) return;
  try {
    const res = await api.exportCase(id);
    toast(t('mod.export_done', { path: res?.path ?? '?', sha: res?.manifest_sha256 ?? '?' }), 'ok', true);
    await loadCase(id);
  } catch (err) {
    if (err.status !== 401) caseView.setError(errorText(err));
  }
}

// --- appeals ---------------------------------------------------------------------------------

async function showAppeals() {
  setView('appeals');
  await refreshAppeals();
  $('appeals-title').focus();
}

async function refreshAppeals() {
  if (!api.getSession()) return;
  try {
    const list = await api.appeals();
    state.appeals = Array.isArray(list) ? list : [];
    state.appealsError = '';
  } catch (err) {
    if (err.status === 401) return;
    state.appealsError = err.status === 403 ? t('mod.appeals.forbidden') : errorText(err);
  }
  renderAppealsView();
}

function renderAppealsView() {
  if (!state.me) return;
  renderAppeals($('appeal-list'), state.appeals, {
    me: state.me,
    onDecide,
    onOpenCase: (id) => selectCase(id),
  });
  $('appeals-count').textContent = `(${state.appeals.length})`;
  const status = $('appeals-status');
  status.textContent = state.appealsError || (state.appeals.length ? '' : t('mod.appeals.empty'));
  status.hidden = !status.textContent;
}

async function onDecide(appeal, outcome, reply) {
  try {
    await api.decideAppeal(appeal.id, outcome, reply);
  } catch (err) {
    throw new Error(err.code === 'same_moderator' ? t('mod.appeal.own') : errorText(err));
  }
  toast(t(`mod.appeal.done_${outcome}`), 'ok');
  await refreshAppeals();
}

// --- keyboard --------------------------------------------------------------------------------

// Fields that take letters: a letter typed there is text, not a shortcut. Radios, checkboxes and
// buttons take none, so shortcuts keep working after a click on them.
const NON_TEXT_INPUTS = new Set(['checkbox', 'radio', 'button', 'submit', 'reset']);

function isEditable(el) {
  if (!(el instanceof HTMLElement)) return false;
  if (el.isContentEditable || el.tagName === 'TEXTAREA' || el.tagName === 'SELECT') return true;
  return el.tagName === 'INPUT' && !NON_TEXT_INPUTS.has(el.type);
}

function onKey(e) {
  state.lastActivity = Date.now();
  if (e.defaultPrevented || e.ctrlKey || e.metaKey || e.altKey || e.isComposing) return;
  if ($('console').hidden || $('help').open) return;
  const editing = isEditable(e.target);
  if (e.key === 'Escape') {
    // Leave a field so that the next letter is a shortcut again.
    if (editing) {
      e.preventDefault();
      e.target.blur();
    }
    return;
  }
  if (editing) return;
  const key = e.key;
  if (key === '?') {
    e.preventDefault();
    openHelp();
  } else if (key === 'a') {
    e.preventDefault();
    showAppeals();
  } else if (key === 'j' || key === 'k') {
    e.preventDefault();
    move(key === 'j' ? 1 : -1);
  } else if (state.view === 'queue' && caseView.detail && !$('case').hidden) {
    if (key === 'g') {
      e.preventDefault();
      caseView.focusGround();
    } else if (Object.hasOwn(ACTION_BY_KEY, key)) {
      e.preventDefault();
      caseView.trigger(ACTION_BY_KEY[key]);
    }
  }
}

function openHelp() {
  const dialog = $('help');
  if (!dialog.open) dialog.showModal();
}

// --- toasts ----------------------------------------------------------------------------------

function toast(text, kind = 'info', sticky = false) {
  const box = $('toasts');
  const close = h('button', { type: 'button', class: 'notice-close', 'aria-label': t('notice.dismiss') }, h('span', { 'aria-hidden': 'true' }, '×'));
  const el = h('div', { class: ['notice', `notice--${kind}`], data: { kind } }, h('p', { class: 'notice-text' }, text), close);
  close.addEventListener('click', () => el.remove());
  box.append(el);
  while (box.children.length > MAX_TOASTS) box.firstElementChild.remove();
  if (!sticky) setTimeout(() => el.remove(), TOAST_MS);
}

boot();
