// Small formatting pieces of the console: catalogue fallbacks, relative times, and the SHA-256
// badges of the evidence.

import { getLang, has, t } from '../i18n.js';
import { h } from '../ui.js';

// The catalogue's text for `key`, or `fallback` (a raw code the catalogue does not know yet).
export function labelOr(key, fallback) {
  return has(key) ? t(key) : String(fallback ?? '');
}

const UNITS = [
  ['day', 86400000],
  ['hour', 3600000],
  ['minute', 60000],
];

export function relativeTime(ms, now = Date.now()) {
  const diff = ms - now;
  const rtf = new Intl.RelativeTimeFormat(getLang(), { numeric: 'auto' });
  for (const [unit, size] of UNITS) {
    if (Math.abs(diff) >= size) return rtf.format(Math.round(diff / size), unit);
  }
  return rtf.format(0, 'minute');
}

// The evidence is hashed by the server as SHA-256 over orjson with sorted keys (compact, UTF-8,
// non-ASCII unescaped). JSON.stringify writes strings, integers, booleans and null the same way,
// so the console can recompute each hash and show that what it displays is what was frozen.
export function canonicalJson(value) {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value && typeof value === 'object') {
    const keys = Object.keys(value).sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(value[k])}`).join(',')}}`;
  }
  return JSON.stringify(value === undefined ? null : value);
}

export async function sha256Hex(text) {
  const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(text));
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, '0')).join('');
}

// true: recomputed and equal; false: different; null: cannot check here (no WebCrypto outside
// a secure context, i.e. plain http on another host than localhost).
export async function verifyHash(data, expected) {
  if (!expected || !globalThis.crypto?.subtle) return null;
  try {
    return (await sha256Hex(canonicalJson(data))) === expected;
  } catch {
    return null;
  }
}

// "SHA-256 1f2e…" with the full hash selectable, and a mark once verified.
export function hashBadge(hash, labelKey = 'mod.evidence.item_hash', testid = 'evidence-hash') {
  const mark = h('span', { class: 'hash-mark', testid: `${testid}-check` });
  const el = h(
    'p',
    { class: 'hash', testid },
    h('span', { class: 'hash-label' }, t(labelKey)),
    ' ',
    h('code', { class: 'hash-value' }, String(hash ?? '—')),
    ' ',
    mark,
  );
  return {
    el,
    setVerified(ok) {
      if (ok === null) return;
      mark.textContent = ok ? t('mod.hash.ok') : t('mod.hash.mismatch');
      mark.dataset.ok = ok ? 'true' : 'false';
      mark.classList.toggle('is-bad', !ok);
    },
  };
}
