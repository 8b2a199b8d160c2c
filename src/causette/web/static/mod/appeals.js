// The appeals view (DSA art. 20): open appeals, oldest first. An appeal is decided by a person
// other than the one who took the decision; the console shows such an appeal greyed out, with the
// reason, and the server refuses it anyway (409 same_moderator).

import { t } from '../i18n.js';
import { formatDateTime, h } from '../ui.js';
import { renderDecision } from './case.js';

const REPLY_MAX = 4000;

// onDecide(appeal, outcome, reply) → Promise; onOpenCase(caseId).
export function renderAppeals(container, appeals, { me, onDecide, onOpenCase }) {
  container.replaceChildren(
    ...appeals.map((appeal) => renderAppeal(appeal, { me, onDecide, onOpenCase })),
  );
}

function renderAppeal(appeal, { me, onDecide, onOpenCase }) {
  const decision = appeal.decision || {};
  // The server says so (`own`); the ids say the same when an older server does not.
  const own =
    appeal.own === true ||
    (me != null && decision.moderator != null && String(decision.moderator.id) === String(me.id));
  const replyId = `appeal-reply-${appeal.id}`;
  const reasonId = `appeal-reason-${appeal.id}`;
  const reply = h('textarea', {
    id: replyId,
    testid: 'appeal-reply',
    rows: '3',
    maxlength: String(REPLY_MAX),
    disabled: own,
    'aria-describedby': own ? reasonId : null,
  });
  const error = h('p', { class: 'form-error', role: 'alert', testid: 'appeal-error' });
  const buttons = [];
  const decide = (outcome) => {
    error.textContent = '';
    if (!reply.value.trim()) {
      error.textContent = t('mod.appeal.need_reply');
      reply.focus();
      return;
    }
    for (const b of buttons) b.disabled = true;
    onDecide(appeal, outcome, reply.value.trim()).catch((err) => {
      error.textContent = err.message;
      for (const b of buttons) b.disabled = own;
    });
  };
  for (const [outcome, cls] of [
    ['uphold', 'btn'],
    ['reverse', 'btn btn-primary'],
  ]) {
    buttons.push(
      h(
        'button',
        {
          type: 'button',
          class: `${cls} btn-small`,
          testid: `appeal-${outcome}`,
          disabled: own,
          'aria-describedby': own ? reasonId : null,
          on: { click: () => decide(outcome) },
        },
        t(`mod.appeal.${outcome}`),
      ),
    );
  }
  return h(
    'li',
    {
      class: ['appeal', own && 'is-own'],
      testid: 'appeal',
      'aria-disabled': own ? 'true' : null,
      data: { appeal: appeal.id, decision: decision.id, own: own ? 'true' : 'false' },
    },
    h(
      'p',
      { class: 'appeal-head' },
      h('strong', {}, t('mod.appeal.title', { id: appeal.id })),
      appeal.at ? [' · ', h('time', {}, formatDateTime(appeal.at))] : null,
      appeal.case
        ? [
            ' · ',
            h('button', { type: 'button', class: 'link-btn', on: { click: () => onOpenCase(appeal.case) } }, t('mod.appeal.open_case')),
          ]
        : null,
    ),
    h('h4', { class: 'case-subtitle' }, t('mod.appeal.text')),
    h('p', { class: 'ev-text appeal-text' }, String(appeal.text ?? '')),
    h('h4', { class: 'case-subtitle' }, t('mod.appeal.decision')),
    h('ul', { class: 'decision-list' }, renderDecision(decision)),
    own ? h('p', { id: reasonId, class: 'own-reason', testid: 'appeal-own-reason' }, t('mod.appeal.own')) : null,
    h('label', { for: replyId }, t('mod.appeal.reply')),
    reply,
    h('p', { class: 'hint' }, t('mod.appeal.reply_hint')),
    h('div', { class: 'actions' }, buttons),
    error,
  );
}
