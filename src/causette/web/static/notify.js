// System notifications (the browser's Notification API) for private messages and requests while
// the page is in the background. Permission is asked only from a click on the topbar button: a
// browser ignores, and people resent, a prompt that comes out of nowhere.

import { t } from './i18n.js';

// A preview long enough to recognise the message, short enough for a phone's lock screen.
const BODY_MAX = 140;

export function supported() {
  // The API exists only in a secure context (https, or localhost).
  return typeof window.Notification === 'function' && window.isSecureContext;
}

export function permission() {
  return supported() ? Notification.permission : 'unsupported';
}

// Called from a user gesture only. Resolves to the new permission.
export async function ask() {
  if (!supported()) return 'unsupported';
  try {
    return await Notification.requestPermission();
  } catch {
    return Notification.permission;
  }
}

function shorten(text) {
  const s = String(text ?? '').replace(/\s+/g, ' ').trim();
  return s.length > BODY_MAX ? `${s.slice(0, BODY_MAX - 1)}…` : s;
}

// Whether the person would miss it without a system notification.
function away() {
  return document.hidden || !document.hasFocus();
}

// `tag` groups the notifications of one conversation, so a burst shows as one.
export function show({ title, body, tag, onClick }) {
  if (permission() !== 'granted' || !away()) return false;
  try {
    const n = new Notification(title, { body: shorten(body), tag, lang: document.documentElement.lang });
    n.onclick = () => {
      window.focus();
      n.close();
      if (onClick) onClick();
    };
    return true;
  } catch {
    // Some mobile browsers allow notifications only from a service worker: the title badge stays.
    return false;
  }
}

export function privateMessage(name, text, onClick, tag) {
  return show({ title: t('notify.pm_title', { name }), body: text, tag, onClick });
}

export function request(name, preview, onClick, tag) {
  return show({ title: t('notify.request_title', { name }), body: preview, tag, onClick });
}
