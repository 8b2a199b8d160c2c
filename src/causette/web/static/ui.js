// DOM helpers. Text, including everything a user typed, only ever enters the page as text nodes
// or textContent: nothing here parses HTML.

import { getLang, t } from './i18n.js';

// Properties set on the element itself; every other prop becomes an attribute.
const PROPS = new Set(['value', 'checked', 'disabled', 'hidden', 'selected']);

// h('button', {class: 'x', testid: 'send', on: {click: fn}}, 'text', childNode, …)
export function h(tag, props = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(props || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key === 'class') {
      el.className = Array.isArray(value) ? value.filter(Boolean).join(' ') : value;
    } else if (key === 'testid') {
      el.dataset.testid = value;
    } else if (key === 'text') {
      el.textContent = String(value);
    } else if (key === 'on') {
      for (const [type, fn] of Object.entries(value)) el.addEventListener(type, fn);
    } else if (key === 'data') {
      for (const [k, v] of Object.entries(value)) if (v != null) el.dataset[k] = String(v);
    } else if (PROPS.has(key)) {
      el[key] = value;
    } else {
      el.setAttribute(key, value === true ? '' : String(value));
    }
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    if (Array.isArray(child)) append(el, child);
    else if (child instanceof Node) el.append(child);
    else el.append(document.createTextNode(String(child)));
  }
}

export function clear(el) {
  el.replaceChildren();
}

// Keyed list update: an item keeps its element while key and version are the same, so focus and
// scroll position survive a refresh. The container must hold nothing but these elements.
const caches = new WeakMap();

export function reconcile(container, items, { key, version = () => '', render }) {
  let cache = caches.get(container);
  if (!cache) {
    cache = new Map();
    caches.set(container, cache);
  }
  const nodes = [];
  const seen = new Set();
  for (const item of items) {
    const k = key(item);
    if (seen.has(k)) continue;
    seen.add(k);
    const ver = version(item);
    let entry = cache.get(k);
    if (!entry || entry.ver !== ver) {
      const el = render(item);
      if (entry) entry.el.replaceWith(el);
      entry = { el, ver };
      cache.set(k, entry);
    }
    nodes.push(entry.el);
  }
  for (const [k, entry] of cache) {
    if (!seen.has(k)) {
      entry.el.remove();
      cache.delete(k);
    }
  }
  let cursor = container.firstChild;
  for (const node of nodes) {
    if (node === cursor) cursor = cursor.nextSibling;
    else container.insertBefore(node, cursor);
  }
  while (cursor) {
    const next = cursor.nextSibling;
    cursor.remove();
    cursor = next;
  }
}

const GENDERS = new Set(['f', 'm', 'x']);

export function genderOf(g) {
  return GENDERS.has(g) ? g : 'x';
}

// Colour is never the only cue: a letter badge, and the full word for screen readers.
function genderBadge(gender) {
  const g = genderOf(gender);
  return h(
    'span',
    { class: `gender-badge g-${g}` },
    h('span', { 'aria-hidden': 'true' }, t(`gender.short.${g}`)),
    h('span', { class: 'visually-hidden' }, t(`gender.${g}`)),
  );
}

// Badge plus pseudonym, coloured by gender.
export function userLabel(user, extraClass = '') {
  return h(
    'span',
    { class: ['user-label', `g-${genderOf(user?.gender)}`, extraClass] },
    genderBadge(user?.gender),
    h('span', { class: 'user-label-name' }, String(user?.pseudonym ?? '?')),
  );
}

// "27 ans · dép. 75", from whatever the user object carries.
export function userDetails(user) {
  const parts = [];
  if (user?.age != null) parts.push(t('users.age', { n: user.age }));
  if (user?.departement) parts.push(t('users.dept', { d: user.departement }));
  return parts.join(' · ');
}

export function formatTime(ms) {
  const date = new Date(ms);
  const now = new Date();
  const sameDay = date.toDateString() === now.toDateString();
  const opts = sameDay
    ? { hour: '2-digit', minute: '2-digit' }
    : { day: 'numeric', month: 'short', hour: '2-digit', minute: '2-digit' };
  return new Intl.DateTimeFormat(getLang(), opts).format(date);
}

// A full date and time ("12 oct. 2025, 14:05"): end of a time-out, date of a decision.
export function formatDateTime(ms) {
  return new Intl.DateTimeFormat(getLang(), { dateStyle: 'medium', timeStyle: 'short' }).format(new Date(ms));
}

// Shows `content` in the one modal <dialog>. Opening it while open swaps the content and keeps
// the original opener, which gets the focus back on close.
export function showDialog(dialog, labelledBy, ...content) {
  const wasOpen = dialog.open;
  clear(dialog);
  append(dialog, content);
  dialog.setAttribute('aria-labelledby', labelledBy);
  if (wasOpen) {
    const first = dialog.querySelector('[autofocus], button, input, select, textarea');
    if (first) first.focus();
    return;
  }
  const opener = document.activeElement;
  dialog.addEventListener(
    'close',
    () => {
      clear(dialog);
      if (opener && opener.isConnected && typeof opener.focus === 'function') opener.focus();
    },
    { once: true },
  );
  dialog.showModal();
}

export function closeDialog(dialog) {
  if (dialog.open) dialog.close();
}

// Length in characters as the server counts them (code points, not UTF-16 units).
export function charCount(text) {
  let n = 0;
  for (const _ of text) n += 1;
  return n;
}
