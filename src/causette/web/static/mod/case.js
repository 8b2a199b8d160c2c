// The case view: the frozen evidence in context, the notices, the decisions, the subject's other
// cases, and the action panel. Everything a user wrote enters the page as text (h() and
// textContent), never as HTML.

import { t } from '../i18n.js';
import { formatDateTime, h, userDetails, userLabel } from '../ui.js';
import { hashBadge, labelOr, verifyHash } from './format.js';

// docs/moderation.md, "The console": the keyboard shortcut of each action.
export const ACTION_KEYS = Object.freeze({
  dismiss: 'd',
  delete_message: 'x',
  warn: 'w',
  timeout: 't',
  ban: 'b',
  close_room: 'c',
  escalate: 'e',
});
const ACTION_ORDER = Object.keys(ACTION_KEYS);

const HOUR = 60;
const DAY = 24 * HOUR;
// The API's bound for duration_minutes: one year.
const MAX_MINUTES = 525600;
const TIMEOUT_CHOICES = [
  { id: '1h', minutes: HOUR },
  { id: '24h', minutes: DAY },
  { id: '7d', minutes: 7 * DAY },
  { id: 'custom', minutes: null },
];
const TIMEOUT_DEFAULT = '24h';
// A ban without a duration is a permanent account ban; device and address bans always expire
// (the server caps them at ban_network_max_days).
const BAN_CHOICES = [
  { id: 'permanent', minutes: null },
  { id: '7d', minutes: 7 * DAY },
  { id: '30d', minutes: 30 * DAY },
  { id: 'custom', minutes: null },
];
const BAN_DEFAULT = 'permanent';
const FACTS_MAX = 4000;
const MESSAGE_KINDS = new Set(['target_message', 'context_message', 'flagged_message']);
const TARGET_KINDS = new Set(['target_message', 'flagged_message']);

let uid = 0;
const nextId = (prefix) => `${prefix}-${++uid}`;

export function actionLabel(action) {
  return labelOr(`mod.action.${action}`, action);
}

export function decisionLabel(action) {
  return labelOr(`decision.${action}`, action);
}

export function originLabel(origin) {
  return labelOr(`mod.origin.${origin}`, origin);
}

export function severityLabel(severity) {
  return severity === 0 ? t('mod.severity0') : t('mod.severity', { n: severity });
}

export function statusLabel(status) {
  return labelOr(`mod.status.${status}`, status);
}

function groundText(ground) {
  if (!ground) return '—';
  if (typeof ground === 'string') return ground;
  const kind = ground.kind ? labelOr(`ground.kind.${ground.kind}`, ground.kind) : '';
  return [ground.title, [kind, ground.ref].filter(Boolean).join(' ')].filter(Boolean).join(' — ');
}

function dl(rows) {
  return h(
    'dl',
    { class: 'kv' },
    rows.filter(Boolean).map(([term, value]) => [h('dt', {}, term), h('dd', {}, value)]),
  );
}

function section(title, testid, ...content) {
  const id = nextId('sec');
  return h(
    'section',
    { class: 'case-section', 'aria-labelledby': id, testid },
    h('h3', { id, class: 'case-section-title' }, title),
    ...content,
  );
}

export function renderDecision(d) {
  return h(
    'li',
    { class: ['decision', `decision--${d.status}`], testid: 'decision', data: { decision: d.id, action: d.action } },
    h(
      'p',
      { class: 'decision-head' },
      h('strong', {}, decisionLabel(d.action)),
      ' · ',
      statusLabel(d.status),
      d.automated_detection ? [' · ', t('mod.automated_detection')] : null,
    ),
    dl([
      [t('mod.decision.by'), String(d.moderator?.name ?? '—')],
      [t('mod.decision.at'), d.created_at ? formatDateTime(d.created_at) : '—'],
      [t('mod.decision.ground'), groundText(d.ground)],
      [t('mod.decision.facts'), h('span', { class: 'pre' }, String(d.facts ?? ''))],
      d.until ? [t('mod.decision.until'), formatDateTime(d.until)] : null,
      d.ban_device ? [t('mod.ban.device'), t('mod.yes')] : null,
      d.ban_ip_prefix ? [t('mod.ban.ip'), String(d.ban_ip_prefix)] : null,
      d.appeal_until ? [t('mod.decision.appeal_until'), formatDateTime(d.appeal_until)] : null,
    ]),
  );
}

// --- evidence ---------------------------------------------------------------------------------

function profilesById(items) {
  const map = new Map();
  for (const item of items) {
    if (item.kind === 'declared_profile' && item.data && item.data.id != null) map.set(String(item.data.id), item.data);
  }
  return map;
}

function messageOf(item, profiles) {
  const d = item.data || {};
  if (item.kind === 'flagged_message') {
    const author = profiles.get(String(d.user_id)) || { id: d.user_id, pseudonym: String(d.user_id ?? '?') };
    return { seq: d.seq ?? null, at: d.at, from: author, text: String(d.text ?? ''), flag: d };
  }
  return { seq: d.seq ?? null, at: d.at, from: d.from || {}, text: String(d.text ?? ''), flag: null };
}

function itemHash(item, pending) {
  const badge = hashBadge(item.sha256);
  pending.push(verifyHash(item.data, item.sha256).then((ok) => badge.setVerified(ok)));
  return badge.el;
}

function renderMessages(items, profiles, pending) {
  const messages = items
    .filter((i) => MESSAGE_KINDS.has(i.kind))
    .map((item, order) => ({ item, order, m: messageOf(item, profiles) }))
    // In conversation order; a held message (no seq: never stored) after its context.
    .sort((a, b) => (a.m.seq ?? Infinity) - (b.m.seq ?? Infinity) || a.order - b.order);
  if (!messages.length) return null;
  return h(
    'ol',
    { class: 'evidence-thread', testid: 'evidence-thread' },
    messages.map(({ item, m }) => {
      const target = TARGET_KINDS.has(item.kind);
      return h(
        'li',
        {
          class: ['ev-msg', target && 'is-target', item.kind === 'flagged_message' && 'is-flagged'],
          testid: 'evidence-message',
          'aria-current': target ? 'true' : null,
          data: { kind: item.kind, seq: m.seq },
        },
        h(
          'div',
          { class: 'ev-meta' },
          userLabel(m.from),
          m.seq != null ? h('span', { class: 'ev-seq' }, `#${m.seq}`) : null,
          m.at ? h('time', { datetime: new Date(m.at).toISOString() }, formatDateTime(m.at)) : null,
          target ? h('span', { class: 'chip chip-target' }, t(`mod.evidence.${item.kind}`)) : null,
        ),
        h('p', { class: 'ev-text' }, m.text),
        m.flag ? renderFlag(m.flag) : null,
        itemHash(item, pending),
      );
    }),
  );
}

function list(values) {
  return Array.isArray(values) ? values.map(String).join(', ') : String(values ?? '');
}

function renderFlag(flag) {
  return dl([
    flag.action ? [t('mod.safety.action'), labelOr(`mod.safety.action.${flag.action}`, String(flag.action))] : null,
    flag.labels?.length ? [t('mod.safety.labels'), list(flag.labels)] : null,
    flag.reasons?.length ? [t('mod.safety.reasons'), list(flag.reasons)] : null,
    flag.channel ? [t('mod.safety.channel'), String(flag.channel)] : null,
  ]);
}

function renderProfiles(items, pending) {
  const profiles = items.filter((i) => i.kind === 'declared_profile');
  if (!profiles.length) return null;
  return h(
    'ul',
    { class: 'evidence-list' },
    profiles.map((item) =>
      h(
        'li',
        { class: 'ev-item', testid: 'evidence-profile' },
        h(
          'p',
          { class: 'ev-meta' },
          userLabel(item.data),
          h('span', { class: 'muted' }, userDetails(item.data)),
          item.data?.region ? h('span', { class: 'muted' }, String(item.data.region)) : null,
          h('code', { class: 'muted' }, String(item.data?.id ?? '')),
        ),
        itemHash(item, pending),
      ),
    ),
  );
}

function renderSafety(items, pending) {
  const events = items.filter((i) => i.kind === 'safety_decision');
  if (!events.length) return null;
  return h(
    'ul',
    { class: 'evidence-list' },
    events.map((item) => {
      const e = item.data || {};
      return h(
        'li',
        { class: 'ev-item', testid: 'evidence-safety' },
        h(
          'p',
          { class: 'ev-meta' },
          e.seq != null ? h('span', { class: 'ev-seq' }, `#${e.seq}`) : null,
          e.at ? h('time', {}, formatDateTime(e.at)) : null,
        ),
        e.text ? h('p', { class: 'ev-text' }, String(e.text)) : null,
        renderFlag(e),
        itemHash(item, pending),
      );
    }),
  );
}

function renderOther(items, pending) {
  const known = new Set([...MESSAGE_KINDS, 'declared_profile', 'safety_decision']);
  const others = items.filter((i) => !known.has(i.kind));
  if (!others.length) return null;
  return h(
    'ul',
    { class: 'evidence-list' },
    others.map((item) =>
      h(
        'li',
        { class: 'ev-item', testid: 'evidence-item', data: { kind: item.kind } },
        h('p', { class: 'ev-meta' }, h('strong', {}, labelOr(`mod.evidence.${item.kind}`, String(item.kind)))),
        h('pre', { class: 'ev-json' }, JSON.stringify(item.data, null, 2)),
        itemHash(item, pending),
      ),
    ),
  );
}

function renderEvidence(c) {
  const evidence = c.evidence && typeof c.evidence === 'object' ? c.evidence : { items: [] };
  const items = Array.isArray(evidence.items) ? evidence.items : [];
  const profiles = profilesById(items);
  const pending = [];
  const snapshotHash = evidence.sha256 || c.evidence_sha256;
  const snapshot = hashBadge(snapshotHash, 'mod.evidence.snapshot_hash', 'evidence-snapshot-hash');
  const mismatch = c.evidence_sha256 && evidence.sha256 && c.evidence_sha256 !== evidence.sha256;
  const itemHashes = items.map((i) => i.sha256);
  verifyHash(itemHashes, snapshotHash).then((ok) => snapshot.setVerified(ok));
  const parts = [
    snapshot.el,
    mismatch ? h('p', { class: 'form-error' }, t('mod.evidence.stored_mismatch', { stored: c.evidence_sha256 })) : null,
    renderMessages(items, profiles, pending),
  ];
  const prof = renderProfiles(items, pending);
  if (prof) parts.push(h('h4', { class: 'case-subtitle' }, t('mod.evidence.profiles')), prof);
  const safety = renderSafety(items, pending);
  if (safety) parts.push(h('h4', { class: 'case-subtitle' }, t('mod.evidence.safety')), safety);
  const other = renderOther(items, pending);
  if (other) parts.push(h('h4', { class: 'case-subtitle' }, t('mod.evidence.other')), other);
  if (!items.length) parts.push(h('p', { class: 'muted' }, t('mod.evidence.none')));
  return section(t('mod.evidence.title'), 'evidence', ...parts);
}

function renderReports(reports, categoryLabel) {
  if (!reports.length) return section(t('mod.reports.title'), 'reports', h('p', { class: 'muted' }, t('mod.reports.none')));
  return section(
    t('mod.reports.title_n', { n: reports.length }),
    'reports',
    h(
      'ul',
      { class: 'evidence-list' },
      reports.map((r) =>
        h(
          'li',
          { class: 'ev-item', testid: 'report' },
          h(
            'p',
            { class: 'ev-meta' },
            h('strong', {}, categoryLabel(r.category)),
            h('span', { class: 'chip' }, labelOr(`mod.report.source.${r.source}`, String(r.source ?? ''))),
            r.trusted ? h('span', { class: 'chip chip-trusted' }, t('mod.origin.trusted')) : null,
            r.contact ? h('span', { class: 'chip' }, t('mod.report.contact')) : null,
            r.at ? h('time', {}, formatDateTime(r.at)) : null,
          ),
          r.text ? h('p', { class: 'ev-text' }, String(r.text)) : h('p', { class: 'muted' }, t('mod.report.no_text')),
        ),
      ),
    ),
  );
}

function renderHistory(history, categoryLabel, onOpenCase) {
  if (!history.length) return section(t('mod.history.title'), 'history', h('p', { class: 'muted' }, t('mod.history.none')));
  return section(
    t('mod.history.title'),
    'history',
    h(
      'ul',
      { class: 'evidence-list' },
      history.map((c) =>
        h(
          'li',
          { class: 'ev-item history-item' },
          h(
            'button',
            { type: 'button', class: 'link-btn', on: { click: () => onOpenCase(c.id) } },
            `${categoryLabel(c.category)} · ${statusLabel(c.status)}`,
          ),
          c.created_at ? h('time', { class: 'muted' }, formatDateTime(c.created_at)) : null,
          Array.isArray(c.decisions) && c.decisions.length
            ? h('span', { class: 'muted' }, c.decisions.map(decisionLabel).join(', '))
            : null,
        ),
      ),
    ),
  );
}

// --- the case ---------------------------------------------------------------------------------

export class CaseView {
  // ctx: {grounds, me, categoryLabel(id), onAction(action, body), onExport(), onOpenCase(id)}
  constructor(container, ctx) {
    this.container = container;
    this.ctx = ctx;
    this.detail = null;
    this.controls = null;
  }

  get caseId() {
    return this.detail?.case?.id ?? null;
  }

  show(detail) {
    this.detail = detail;
    const c = detail.case || {};
    const subject = detail.subject || c.subject || null;
    const ctx = this.ctx;
    const actions = Array.isArray(detail.actions) ? detail.actions : [];
    const header = h(
      'header',
      { class: 'case-header' },
      h(
        'h2',
        { id: 'case-title', class: 'case-title', tabindex: '-1' },
        ctx.categoryLabel(c.category),
        ' ',
        h('code', { class: 'case-id' }, String(c.id ?? '')),
      ),
      h(
        'p',
        { class: 'chips' },
        h('span', { class: ['chip', `sev-${c.severity}`] }, severityLabel(c.severity)),
        h('span', { class: ['chip', `origin-${c.origin}`] }, originLabel(c.origin)),
        h('span', { class: 'chip', testid: 'case-status' }, statusLabel(c.status)),
        h('span', { class: 'chip' }, t('mod.reports_n', { n: Number(c.reports) || 0 })),
        c.legal_hold ? h('span', { class: 'chip chip-hold' }, t('mod.legal_hold')) : null,
      ),
      dl([
        [t('mod.case.target'), h('code', {}, String(c.target ?? ''))],
        [
          t('mod.case.subject'),
          subject
            ? h('span', { class: 'subject' }, userLabel(subject), ' ', h('span', { class: 'muted' }, userDetails(subject)))
            : t('mod.case.no_subject'),
        ],
        c.created_at ? [t('mod.case.created'), formatDateTime(c.created_at)] : null,
        c.updated_at ? [t('mod.case.updated'), formatDateTime(c.updated_at)] : null,
      ]),
    );
    const decisions = Array.isArray(detail.decisions) ? detail.decisions : [];
    this.container.replaceChildren(
      header,
      renderEvidence(c),
      renderReports(Array.isArray(detail.reports) ? detail.reports : [], ctx.categoryLabel),
      decisions.length
        ? section(t('mod.decisions.title'), 'decisions', h('ul', { class: 'decision-list' }, decisions.map(renderDecision)))
        : null,
      renderHistory(Array.isArray(detail.history) ? detail.history : [], ctx.categoryLabel, ctx.onOpenCase),
      this.renderActions(actions),
    );
  }

  clear() {
    this.detail = null;
    this.controls = null;
    this.container.replaceChildren();
  }

  renderActions(actions) {
    const { grounds, me } = this.ctx;
    const ground = h(
      'select',
      { id: 'action-ground', testid: 'ground', required: true, 'aria-describedby': 'action-hint' },
      h('option', { value: '' }, t('mod.ground.choose')),
      ['tos', 'law'].map((kind) => {
        const list = grounds.filter((g) => (g.kind || 'tos') === kind);
        if (!list.length) return null;
        return h(
          'optgroup',
          { label: labelOr(`ground.kind.${kind}`, kind) },
          list.map((g) => h('option', { value: g.ref, title: String(g.text ?? '') }, `${g.ref} — ${g.title}`)),
        );
      }),
      grounds
        .filter((g) => g.kind && !['tos', 'law'].includes(g.kind))
        .map((g) => h('option', { value: g.ref, title: String(g.text ?? '') }, `${g.ref} — ${g.title}`)),
    );
    const groundText = h('p', { class: 'hint ground-text', testid: 'ground-text' });
    const facts = h('textarea', {
      id: 'action-facts',
      testid: 'facts',
      rows: '3',
      maxlength: String(FACTS_MAX),
      required: true,
      'aria-describedby': 'action-facts-hint',
    });

    const timeout = durationPicker('timeout', TIMEOUT_CHOICES, TIMEOUT_DEFAULT);
    const ban = durationPicker('ban', BAN_CHOICES, BAN_DEFAULT);
    const banDevice = h('input', { type: 'checkbox', id: 'ban-device', testid: 'ban-device', checked: true });
    const banIp = h('input', { type: 'checkbox', id: 'ban-ip', testid: 'ban-ip' });
    const unfounded = h('input', { type: 'checkbox', id: 'dismiss-unfounded', testid: 'unfounded' });

    const error = h('p', { class: 'form-error', role: 'alert', testid: 'action-error' });
    const hint = h('p', { id: 'action-hint', class: 'hint' });
    const buttons = new Map();
    const row = h('div', { class: 'action-buttons' });
    for (const action of ACTION_ORDER) {
      if (!actions.includes(action)) continue;
      const btn = h(
        'button',
        {
          type: 'button',
          class: ['btn', 'btn-small', `act-${action}`, ['ban', 'escalate'].includes(action) && 'btn-danger'],
          testid: `action-${action}`,
          'aria-keyshortcuts': ACTION_KEYS[action],
          'aria-describedby': 'action-hint',
          disabled: true,
          on: { click: () => this.trigger(action) },
        },
        actionLabel(action),
        h('kbd', { 'aria-hidden': 'true' }, ACTION_KEYS[action]),
      );
      buttons.set(action, btn);
      row.append(btn);
    }

    const refresh = () => {
      const chosen = grounds.find((g) => g.ref === ground.value);
      groundText.textContent = chosen ? String(chosen.text ?? '') : '';
      const ready = Boolean(ground.value) && Boolean(facts.value.trim());
      hint.textContent = ready ? '' : ground.value ? t('mod.actions.need_facts') : t('mod.actions.need_ground');
      for (const btn of buttons.values()) btn.disabled = !ready || this.busy;
    };
    ground.addEventListener('change', refresh);
    ground.addEventListener('input', refresh);
    facts.addEventListener('input', refresh);

    this.controls = { ground, facts, timeout, ban, banDevice, banIp, unfounded, error, buttons, refresh, actions };
    refresh();

    const canExport = me && ['legal', 'admin'].includes(me.role);
    return h(
      'section',
      { class: 'case-section case-actions', 'aria-labelledby': 'actions-title', testid: 'actions' },
      h('h3', { id: 'actions-title', class: 'case-section-title' }, t('mod.actions.title')),
      h(
        'div',
        { class: 'field' },
        h('label', { for: 'action-ground' }, t('mod.ground.label'), ' ', h('kbd', { 'aria-hidden': 'true' }, 'g')),
        ground,
        groundText,
      ),
      h(
        'div',
        { class: 'field' },
        h('label', { for: 'action-facts' }, t('mod.facts.label')),
        facts,
        h('p', { id: 'action-facts-hint', class: 'hint' }, t('mod.facts.hint')),
      ),
      h(
        'div',
        { class: 'action-options' },
        actions.includes('timeout') ? timeout.fieldset(t('mod.timeout.duration')) : null,
        actions.includes('ban')
          ? h(
              'div',
              { class: 'ban-options' },
              ban.fieldset(t('mod.ban.duration')),
              h('label', { class: 'check' }, banDevice, h('span', {}, t('mod.ban.device'))),
              h('label', { class: 'check' }, banIp, h('span', {}, t('mod.ban.ip'))),
              h('p', { class: 'hint' }, t('mod.ban.network_hint')),
            )
          : null,
        actions.includes('dismiss')
          ? h(
              'div',
              { class: 'dismiss-options' },
              h('label', { class: 'check' }, unfounded, h('span', {}, t('mod.dismiss.unfounded'))),
              h('p', { class: 'hint' }, t('mod.dismiss.unfounded_hint')),
            )
          : null,
      ),
      hint,
      row,
      actions.length ? null : h('p', { class: 'muted' }, t('mod.actions.none')),
      error,
      canExport
        ? h(
            'p',
            { class: 'export-row' },
            h(
              'button',
              { type: 'button', class: 'btn btn-small', testid: 'export', on: { click: () => this.ctx.onExport() } },
              t('mod.export'),
            ),
          )
        : null,
    );
  }

  focusGround() {
    if (!this.controls) return false;
    this.controls.ground.focus();
    return true;
  }

  setBusy(busy) {
    this.busy = busy;
    if (this.controls) this.controls.refresh();
  }

  setError(text) {
    if (this.controls) this.controls.error.textContent = text || '';
  }

  // A click or a shortcut: checks what the action needs, then hands the request to the console.
  trigger(action) {
    const c = this.controls;
    if (!c || this.busy) return;
    this.setError('');
    if (!c.actions.includes(action)) {
      this.setError(t('mod.actions.not_applicable', { action: actionLabel(action) }));
      return;
    }
    if (!c.ground.value) {
      this.setError(t('mod.actions.need_ground'));
      c.ground.focus();
      return;
    }
    const facts = c.facts.value.trim();
    if (!facts) {
      this.setError(t('mod.actions.need_facts'));
      c.facts.focus();
      return;
    }
    const body = { action, ground: c.ground.value, facts };
    if (action === 'timeout') {
      const minutes = c.timeout.minutes();
      if (minutes === undefined) {
        this.setError(t('mod.duration.invalid', { max: MAX_MINUTES }));
        c.timeout.focus();
        return;
      }
      body.duration_minutes = minutes;
    } else if (action === 'ban') {
      const minutes = c.ban.minutes();
      if (minutes === undefined) {
        this.setError(t('mod.duration.invalid', { max: MAX_MINUTES }));
        c.ban.focus();
        return;
      }
      if (minutes !== null) body.duration_minutes = minutes;
      body.ban_device = c.banDevice.checked;
      body.ban_ip_prefix = c.banIp.checked;
    } else if (action === 'dismiss') {
      body.unfounded = c.unfounded.checked;
    }
    this.ctx.onAction(action, body);
  }
}

// Radio choices of a duration, with a custom value in hours or days. minutes() is a number, null
// for "no duration" (a permanent ban), or undefined when the custom value is invalid.
function durationPicker(name, choices, initial) {
  const radios = [];
  const amount = h('input', {
    type: 'number',
    id: `${name}-custom-amount`,
    testid: `${name}-custom-amount`,
    min: '1',
    step: '1',
    inputmode: 'numeric',
    class: 'custom-amount',
    'aria-label': t('mod.duration.amount'),
  });
  const unit = h(
    'select',
    { id: `${name}-custom-unit`, class: 'custom-unit', 'aria-label': t('mod.duration.unit') },
    h('option', { value: String(HOUR) }, t('mod.duration.hours')),
    h('option', { value: String(DAY) }, t('mod.duration.days')),
  );
  const custom = h('span', { class: 'custom-duration', hidden: true }, amount, unit);
  const update = () => {
    custom.hidden = !radios.find((r) => r.checked && r.value === 'custom');
  };
  const options = choices.map((choice) => {
    const radio = h('input', {
      type: 'radio',
      name: `${name}-duration`,
      value: choice.id,
      testid: `${name}-${choice.id}`,
      checked: choice.id === initial,
      on: { change: update },
    });
    radios.push(radio);
    return h('label', { class: 'check' }, radio, h('span', {}, t(`mod.duration.${choice.id}`)));
  });
  return {
    fieldset: (legend) => h('fieldset', { class: 'duration' }, h('legend', {}, legend), options, custom),
    focus: () => (custom.hidden ? radios[0] : amount).focus(),
    minutes() {
      const checked = radios.find((r) => r.checked);
      const choice = choices.find((c) => c.id === checked?.value);
      if (!choice) return undefined;
      if (choice.id !== 'custom') return choice.minutes;
      const n = Number(amount.value);
      if (!Number.isInteger(n) || n < 1) return undefined;
      const minutes = n * Number(unit.value);
      return minutes <= MAX_MINUTES ? minutes : undefined;
    },
  };
}

export { groundText };
