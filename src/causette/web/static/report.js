// The public notice form (/report, DSA art. 16): anyone, with or without a chat session, can
// notify content, gets a receipt number and a key, and can follow the outcome with them.
// The target comes prefilled from the chat client's links: ?conv=&seq=, ?user= or ?room=.
// The follow link carries the receipt and key in the fragment (#receipt=…&key=…), which browsers
// never send to the server, so the key does not end up in access logs.

import { applyI18n, getLang, onLangChange, t, toggleLang, has } from './i18n.js';
import { charCount, formatDateTime, h } from './ui.js';

const $ = (id) => document.getElementById(id);

const EXPLANATION_MAX = 4000;
const CONTACT_MAX = 200;

let categories = [];
let fixedTarget = null; // the target given in the address, if any
let lastStatus = null;

class HttpError extends Error {
  constructor(status, code, message) {
    super(message || code);
    this.status = status;
    this.code = code;
  }
}

async function call(method, path, body) {
  const headers = { Accept: 'application/json' };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
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
    throw new HttpError(0, 'network', '');
  }
  let data = null;
  try {
    data = await res.json();
  } catch {
    data = null;
  }
  if (!res.ok) {
    const err = (data && data.error) || {};
    throw new HttpError(res.status, err.code || `http_${res.status}`, err.message || '');
  }
  return data;
}

function errorText(err) {
  if (err.code === 'network') return t('error.network');
  if (has(`rp.error.${err.code}`)) return t(`rp.error.${err.code}`);
  return err.message || t('error.unknown', { code: err.code });
}

// --- boot ------------------------------------------------------------------------------------

function boot() {
  applyI18n();
  document.title = t('rp.page_title');
  $('lang-switch').addEventListener('click', toggleLang);
  onLangChange(() => {
    applyI18n();
    document.title = t('rp.page_title');
    renderCategories();
    renderFixedTarget();
    updateCount();
    if (lastStatus) renderStatus(lastStatus);
  });

  const params = new URLSearchParams(location.search);
  const hash = new URLSearchParams(location.hash.replace(/^#/, ''));
  const receipt = hash.get('receipt') || params.get('receipt');
  const key = hash.get('key') || params.get('key');

  readTarget(params);
  for (const radio of document.querySelectorAll('input[name="rp-kind"]')) radio.addEventListener('change', showKindFields);
  showKindFields();
  $('rp-explanation').addEventListener('input', updateCount);
  updateCount();
  $('rp-form').addEventListener('submit', onSubmit);
  $('rp-follow-form').addEventListener('submit', onFollow);
  loadCategories();

  if (receipt) {
    // Follow mode: the status first, the form out of the way.
    $('rp-new').hidden = true;
    $('rp-new-link').hidden = false;
    $('rp-follow-receipt').value = receipt;
    $('rp-follow-key').value = key || '';
    if (key) follow(receipt, key);
  }
}

function readTarget(params) {
  const conv = params.get('conv');
  const seq = params.get('seq');
  const user = params.get('user');
  const room = params.get('room');
  if (conv && seq && /^\d+$/.test(seq)) fixedTarget = { conv, seq: Number(seq) };
  else if (user) fixedTarget = { user };
  else if (room) fixedTarget = { room };
  if (fixedTarget) {
    $('rp-target-choice').hidden = true;
    $('rp-target-fixed').hidden = false;
  }
  renderFixedTarget();
}

function renderFixedTarget() {
  const box = $('rp-target-fixed');
  if (!fixedTarget) return;
  const change = h(
    'button',
    {
      type: 'button',
      class: 'link-btn',
      on: {
        click: () => {
          // Let the notifier correct the target: the fields start from the prefilled one.
          const kind = fixedTarget.conv != null ? 'message' : fixedTarget.user != null ? 'user' : 'room';
          document.querySelector(`input[name="rp-kind"][value="${kind}"]`).checked = true;
          $('rp-conv').value = fixedTarget.conv ?? '';
          $('rp-seq').value = fixedTarget.seq ?? '';
          $('rp-user').value = fixedTarget.user ?? '';
          $('rp-room').value = fixedTarget.room ?? '';
          fixedTarget = null;
          box.hidden = true;
          $('rp-target-choice').hidden = false;
          showKindFields();
        },
      },
    },
    t('rp.target.change'),
  );
  let text;
  if (fixedTarget.conv != null) text = t('rp.target.fixed_message', { seq: fixedTarget.seq, conv: fixedTarget.conv });
  else if (fixedTarget.user != null) text = t('rp.target.fixed_user', { user: fixedTarget.user });
  else text = t('rp.target.fixed_room', { room: fixedTarget.room });
  box.replaceChildren(h('span', {}, text), ' ', change);
}

function currentKind() {
  return document.querySelector('input[name="rp-kind"]:checked')?.value || 'message';
}

function showKindFields() {
  const kind = currentKind();
  for (const el of document.querySelectorAll('#rp-target-choice [data-kind]')) el.hidden = el.dataset.kind !== kind;
}

function updateCount() {
  const n = charCount($('rp-explanation').value);
  const el = $('rp-explanation-count');
  el.textContent = t('composer.count', { n, max: EXPLANATION_MAX });
  el.classList.toggle('form-error', n > EXPLANATION_MAX);
}

// --- categories ------------------------------------------------------------------------------

async function loadCategories() {
  try {
    const list = await call('GET', '/api/v1/report-categories');
    categories = Array.isArray(list) ? list : [];
  } catch (err) {
    setError(t('rp.categories_failed'));
    categories = [];
  }
  renderCategories();
}

function categoryLabel(c) {
  if (!c) return '';
  const label = c.label && typeof c.label === 'object' ? c.label[getLang()] || c.label.fr : c.label;
  return String(label || c.id);
}

function renderCategories() {
  const select = $('rp-category');
  const chosen = select.value;
  select.replaceChildren(
    h('option', { value: '' }, t('rp.category_choose')),
    ...categories.map((c) => h('option', { value: String(c.id) }, categoryLabel(c))),
  );
  if (chosen && categories.some((c) => String(c.id) === chosen)) select.value = chosen;
}

// --- submit ----------------------------------------------------------------------------------

const FIELDS = ['rp-conv', 'rp-seq', 'rp-user', 'rp-room', 'rp-category', 'rp-explanation', 'rp-contact', 'rp-good-faith'];

function setError(message, fieldId = null) {
  $('rp-error').textContent = message || '';
  for (const id of FIELDS) {
    if (id === fieldId) $(id).setAttribute('aria-invalid', 'true');
    else $(id).removeAttribute('aria-invalid');
  }
  if (fieldId) $(fieldId).focus();
}

function readTargetFields() {
  if (fixedTarget) return { target: fixedTarget };
  const kind = currentKind();
  if (kind === 'message') {
    const conv = $('rp-conv').value.trim();
    const seq = $('rp-seq').value.trim();
    if (!conv) return { error: t('rp.target.missing'), field: 'rp-conv' };
    if (!/^\d+$/.test(seq) || Number(seq) < 1) return { error: t('rp.target.seq_invalid'), field: 'rp-seq' };
    return { target: { conv, seq: Number(seq) } };
  }
  const id = kind === 'user' ? 'rp-user' : 'rp-room';
  const value = $(id).value.trim();
  if (!value) return { error: t('rp.target.missing'), field: id };
  return { target: { [kind]: value } };
}

async function onSubmit(e) {
  e.preventDefault();
  const target = readTargetFields();
  if (target.error) return setError(target.error, target.field);
  const category = $('rp-category').value;
  if (!category) return setError(t('rp.category_missing'), 'rp-category');
  const explanation = $('rp-explanation').value.trim();
  if (!explanation) return setError(t('rp.explanation_missing'), 'rp-explanation');
  if (charCount(explanation) > EXPLANATION_MAX) return setError(t('rp.explanation_long', { max: EXPLANATION_MAX }), 'rp-explanation');
  const contact = $('rp-contact').value.trim();
  if (charCount(contact) > CONTACT_MAX) return setError(t('rp.contact_long', { max: CONTACT_MAX }), 'rp-contact');
  if (!$('rp-good-faith').checked) return setError(t('rp.error.good_faith_required'), 'rp-good-faith');

  const body = { target: target.target, category, explanation, good_faith: true };
  if (contact) body.contact = contact;
  const submit = $('rp-submit');
  submit.disabled = true;
  setError('');
  try {
    const res = await call('POST', '/api/v1/reports', body);
    showReceipt(res);
  } catch (err) {
    const field = {
      not_found: fixedTarget ? null : currentKind() === 'message' ? 'rp-conv' : currentKind() === 'user' ? 'rp-user' : 'rp-room',
      good_faith_required: 'rp-good-faith',
    }[err.code];
    setError(errorText(err), field || null);
  } finally {
    submit.disabled = false;
  }
}

function followUrl(receipt, key) {
  const frag = new URLSearchParams({ receipt, key }).toString();
  return `${location.origin}/report#${frag}`;
}

function showReceipt(res) {
  $('rp-form').hidden = true;
  const box = $('rp-receipt');
  $('rp-receipt-id').textContent = String(res.receipt ?? '');
  $('rp-receipt-key').textContent = String(res.key ?? '');
  $('rp-receipt-at').textContent = res.received_at ? formatDateTime(res.received_at) : '';
  const url = followUrl(String(res.receipt ?? ''), String(res.key ?? ''));
  $('rp-follow-url').value = url;
  $('rp-follow-link').href = url;
  $('rp-follow-receipt').value = String(res.receipt ?? '');
  $('rp-follow-key').value = String(res.key ?? '');
  box.hidden = false;
  box.focus();
}

// --- follow ----------------------------------------------------------------------------------

async function onFollow(e) {
  e.preventDefault();
  const receipt = $('rp-follow-receipt').value.trim();
  const key = $('rp-follow-key').value.trim();
  if (!receipt || !key) {
    $('rp-follow-error').textContent = t('rp.follow.missing');
    return;
  }
  await follow(receipt, key);
}

async function follow(receipt, key) {
  $('rp-follow-error').textContent = '';
  try {
    const status = await call('GET', `/api/v1/reports/${encodeURIComponent(receipt)}?key=${encodeURIComponent(key)}`);
    lastStatus = status;
    renderStatus(status);
    $('rp-status').focus();
  } catch (err) {
    lastStatus = null;
    $('rp-status').hidden = true;
    $('rp-follow-error').textContent = err.code === 'not_found' ? t('rp.follow.not_found') : errorText(err);
  }
}

function renderStatus(s) {
  $('rp-status').hidden = false;
  $('rp-status-state').textContent = has(`rp.status.${s.status}`) ? t(`rp.status.${s.status}`) : String(s.status ?? '');
  const category = categories.find((c) => String(c.id) === String(s.category));
  $('rp-status-category').textContent = category ? categoryLabel(category) : String(s.category ?? '');
  $('rp-status-received').textContent = s.received_at ? formatDateTime(s.received_at) : '';
  const outcome = s.outcome && typeof s.outcome === 'object' ? s.outcome : null;
  $('rp-outcome').hidden = !outcome;
  if (outcome) {
    const action = String(outcome.action ?? '');
    $('rp-outcome-action').textContent = has(`decision.${action}`) ? t(`decision.${action}`) : action;
    $('rp-outcome-at').textContent = outcome.decided_at ? formatDateTime(outcome.decided_at) : '';
    $('rp-outcome-text').textContent = String(outcome.text ?? '');
  }
  $('rp-warning').hidden = !s.warning;
  $('rp-warning').textContent = s.warning ? t('rp.status.warning', { text: String(s.warning) }) : '';
}

boot();
