// The composer's emoji picker: a small built-in set (no image, font or network request), shown
// as a grid of buttons. Arrow keys move within it, Enter picks, Escape closes and gives the focus
// back to the button that opened it.

import { t } from './i18n.js';
import { h } from './ui.js';

export const EMOJI = [
  '😀', '😂', '🤣', '😊', '😉', '😍', '🥰', '😘',
  '😎', '🤔', '🙄', '😅', '😇', '🤗', '😏', '😴',
  '😢', '😭', '😡', '😱', '🥺', '😬', '🤐', '🤯',
  '👍', '👎', '👏', '🙏', '💪', '👋', '🤝', '✌️',
  '❤️', '💔', '🔥', '✨', '🎉', '🌞', '🌧️', '🌈',
  '☕', '🍕', '🍷', '🎶', '⚽', '🐱', '🐶', '🌹',
];
// Buttons per row, for the up and down keys (the CSS grid has the same number of columns).
const COLUMNS = 8;

export function mountEmojiPicker({ toggle, picker, field }) {
  let built = false;

  const buttons = () => [...picker.querySelectorAll('.emoji-btn')];

  function build() {
    if (built) return;
    built = true;
    picker.append(
      ...EMOJI.map((emoji, i) =>
        h(
          'button',
          {
            type: 'button',
            class: 'emoji-btn',
            tabindex: i === 0 ? '0' : '-1',
            testid: 'emoji',
            on: { click: () => pick(emoji) },
          },
          emoji,
        ),
      ),
    );
  }

  function isOpen() {
    return !picker.hidden;
  }

  function open() {
    build();
    picker.setAttribute('aria-label', t('emoji.label'));
    picker.hidden = false;
    toggle.setAttribute('aria-expanded', 'true');
    const first = buttons().find((b) => b.tabIndex === 0) || buttons()[0];
    if (first) first.focus();
    document.addEventListener('pointerdown', onOutside, true);
  }

  function close({ focus = toggle } = {}) {
    if (!isOpen()) return;
    picker.hidden = true;
    toggle.setAttribute('aria-expanded', 'false');
    document.removeEventListener('pointerdown', onOutside, true);
    if (focus) focus.focus();
  }

  function onOutside(e) {
    if (!picker.contains(e.target) && !toggle.contains(e.target)) close({ focus: null });
  }

  // Inserts at the caret, replacing a selection, and tells the composer (counter, typing).
  function pick(emoji) {
    const start = field.selectionStart ?? field.value.length;
    const end = field.selectionEnd ?? start;
    field.setRangeText(emoji, start, end, 'end');
    field.dispatchEvent(new Event('input', { bubbles: true }));
    close({ focus: field });
  }

  toggle.addEventListener('click', () => (isOpen() ? close() : open()));
  picker.addEventListener('keydown', (e) => {
    const list = buttons();
    const i = list.indexOf(document.activeElement);
    let next = -1;
    if (e.key === 'Escape') {
      e.preventDefault();
      e.stopPropagation();
      close();
      return;
    }
    if (e.key === 'Tab') {
      close({ focus: null });
      return;
    }
    if (i < 0) return;
    if (e.key === 'ArrowRight') next = Math.min(list.length - 1, i + 1);
    else if (e.key === 'ArrowLeft') next = Math.max(0, i - 1);
    else if (e.key === 'ArrowDown') next = Math.min(list.length - 1, i + COLUMNS);
    else if (e.key === 'ArrowUp') next = Math.max(0, i - COLUMNS);
    else if (e.key === 'Home') next = 0;
    else if (e.key === 'End') next = list.length - 1;
    if (next < 0) return;
    e.preventDefault();
    list[i].tabIndex = -1;
    list[next].tabIndex = 0;
    list[next].focus();
  });

  return { close };
}
