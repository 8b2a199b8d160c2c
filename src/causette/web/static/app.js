// Entry and bootstrap: the entry form (no registration), the switch between the entry screen and
// the chat, logout, and the way back to the entry form when the session ends.

import * as api from './api.js';
import * as chat from './chat.js';
import { applyI18n, t, toggleLang } from './i18n.js';
import * as statements from './statements.js';
import { store } from './store.js';
import * as views from './views.js';

const $ = (id) => document.getElementById(id);

// Which field a refusal is about, to mark it invalid and put the cursor there.
const FIELD_FOR_CODE = {
  pseudonym_invalid: 'entry-pseudonym',
  pseudonym_reserved: 'entry-pseudonym',
  pseudonym_taken: 'entry-pseudonym',
  pseudonym_refused: 'entry-pseudonym',
  age_invalid: 'entry-age',
  gender_invalid: 'entry-gender',
  postal_code_invalid: 'entry-postal-code',
};
const ENTRY_FIELDS = ['entry-pseudonym', 'entry-age', 'entry-gender', 'entry-postal-code'];

let loggingOut = false;

function boot() {
  applyI18n();
  views.mount();
  statements.mount($('statements'));
  $('lang-switch').addEventListener('click', toggleLang);
  $('logout').addEventListener('click', logout);
  $('entry-form').addEventListener('submit', onEntry);
  api.setUnauthorizedHandler(() => sessionEnded());
  if (store.loadSession()) enterChat();
  else showEntry();
}

// --- entry -----------------------------------------------------------------------------------

function showEntry(message = '') {
  $('chat').hidden = true;
  $('logout').hidden = true;
  $('entry').hidden = false;
  const underage = store.underage;
  // A refused minor gets help, not an invitation to try another age.
  $('entry-form').hidden = underage;
  $('underage-help').hidden = !underage;
  setEntryError(message);
  store.touch('conn');
  if (!underage) $('entry-pseudonym').focus();
  // Decisions about this device (cookie) or the session that just ended: a ban shows here, with
  // its appeal form, before anyone tries to enter again.
  statements.load();
}

// Where the error line lives when it is about no field in particular (below the form, also seen
// when the form is hidden); a refusal about one field moves it right under that field.
let errorHome = null;

function placeEntryError(fieldId) {
  const el = $('entry-error');
  if (!errorHome) errorHome = { parent: el.parentNode, next: el.nextSibling };
  if (!fieldId) {
    errorHome.parent.insertBefore(el, errorHome.next);
    return;
  }
  const field = $(fieldId).closest('.field');
  // Age and gender share a row: the line goes under the row, not inside it.
  const anchor = field.parentElement.classList.contains('field-row') ? field.parentElement : field;
  anchor.after(el);
}

function setDescribedBy(el, id, on) {
  const ids = new Set((el.getAttribute('aria-describedby') || '').split(/\s+/).filter(Boolean));
  if (on) ids.add(id);
  else ids.delete(id);
  if (ids.size) el.setAttribute('aria-describedby', [...ids].join(' '));
  else el.removeAttribute('aria-describedby');
}

function setEntryError(message, fieldId = null) {
  placeEntryError(message ? fieldId : null);
  $('entry-error').textContent = message || '';
  $('entry-error').classList.toggle('is-help', store.underage);
  for (const id of ENTRY_FIELDS) {
    const invalid = id === fieldId && Boolean(message);
    if (invalid) $(id).setAttribute('aria-invalid', 'true');
    else $(id).removeAttribute('aria-invalid');
    setDescribedBy($(id), 'entry-error', invalid);
  }
  if (fieldId) $(fieldId).focus();
}

async function onEntry(e) {
  e.preventDefault();
  const pseudonym = $('entry-pseudonym').value.trim();
  const ageRaw = $('entry-age').value.trim();
  const gender = $('entry-gender').value;
  const postalCode = $('entry-postal-code').value.trim();
  const empty = ENTRY_FIELDS.find((id) => !$(id).value.trim());
  if (empty) return setEntryError(t('entry.missing'), empty);
  if (!/^\d{1,3}$/.test(ageRaw)) return setEntryError(t('entry.age_nan'), 'entry-age');
  if (!/^\d{5}$/.test(postalCode)) return setEntryError(t('entry.postal_format'), 'entry-postal-code');

  const submit = $('entry-submit');
  submit.disabled = true;
  submit.textContent = t('entry.submitting');
  setEntryError('');
  try {
    const res = await api.createSession({ pseudonym, age: Number(ageRaw), gender, postal_code: postalCode });
    store.setSession({ token: res.token, user: res.user, expires_at: res.expires_at });
    enterChat();
  } catch (err) {
    if (err.code === 'banned') {
      // 403 {"error": {"code": "banned", "statement": "d…"}}: the ban's statement and its appeal.
      setEntryError(err.message || t('entry.banned'));
      statements.load({ reveal: err.details?.statement ?? null });
    } else if (err.code === 'underage') {
      store.underage = true;
      showEntry(err.message || t('entry.underage_title'));
      $('underage-help').focus();
    } else if (err.code === 'network') {
      setEntryError(t('error.network'));
    } else {
      setEntryError(chat.errorText(err.code, err.message), FIELD_FOR_CODE[err.code] || null);
    }
  } finally {
    submit.disabled = false;
    submit.textContent = t('entry.submit');
  }
}

// --- chat ------------------------------------------------------------------------------------

function enterChat() {
  $('entry').hidden = true;
  $('chat').hidden = false;
  $('logout').hidden = false;
  store.loadConversations();
  chat.start({ onSessionEnded: sessionEnded });
  store.touch('all');
}

// The session is over (revoked, expired, logged out): back to the entry form. Safe to call twice.
function sessionEnded() {
  if (!store.session) return;
  chat.stop();
  store.clearSession();
  views.resetChatView();
  showEntry(loggingOut ? '' : statements.hasActiveBan() ? t('entry.banned') : t('session.ended'));
}

async function logout() {
  loggingOut = true;
  try {
    await api.endSession();
  } catch {
    // Ended locally anyway; the server frees the name after its grace period.
  }
  sessionEnded();
  loggingOut = false;
}

boot();
