// The open call's parts as DOM: its facts, the lists of legs and the timeline.

import { state } from './state.js';
import { $, el, show, arrayOf, hasId, timeEl, badge, joinParts, dateTimeFormat } from './dom.js';
import { base64ToBytes, decodeUtf8, isPrintable } from './encoding.js';

// The space between dt and dd keeps the row's text readable as "Status: answered".
function fact(term, ...valueNodes) {
  return el('div', { class: 'fact' }, el('dt', {}, `${term}:`), ' ', el('dd', {}, ...valueNodes));
}

export function factRows(callState) {
  return [
    fact('From', el('span', { class: 'mono' }, show(callState.from))),
    fact('To', el('span', { class: 'mono' }, show(callState.to))),
    fact('Status', badge(callState.status)),
    fact('Origin', ...originNodes(callState.origin)),
    hasId(callState.supervising) ? fact('Supervising', callLink(callState.supervising)) : null,
    fact('Hangup cause', show(callState.hangup_cause, 'none')),
    fact('Client state', ...clientStateNodes(callState.client_state)),
    fact('Refer', ...summaryNodes(callState.refer, [['sip_address', ''], ['sip_notify_response', 'SIP NOTIFY ']])),
    fact('SIPREC recording', ...summaryNodes(callState.siprec,
      [['failure_cause', 'failure cause: '], ['hangup_cause', 'hangup cause: ']])),
    fact('Noise suppression', ...summaryNodes(callState.noise_suppression,
      [['direction', 'direction '], ['engine', 'engine ']])),
    // A supervisor leg's own role; a supervised call lists its legs' roles under Supervisors.
    hasId(callState.supervising) || callState.supervisor_role != null
      ? fact('Supervisor role', show(callState.supervisor_role, 'none')) : null,
    fact('Updated', timeEl(callState.updated_at, dateTimeFormat)),
    fact('Call leg', el('span', { class: 'mono' }, show(callState.call_leg_id))),
    fact('Call session', el('span', { class: 'mono' }, show(callState.call_session_id))),
    fact('Connection', el('span', { class: 'mono' }, show(callState.connection_id))),
  ].filter(Boolean);
}

// A button that opens another call; main's onDetailClick handles it.
export function callLink(id) {
  const text = show(id);
  return el('button', { type: 'button', class: 'call-id call-link mono', 'data-open': text }, text);
}

// How the call started: Telnyx (inbound), an operator's Dial, or a rule's.
function originNodes(origin) {
  if (origin == null) return ['started by Telnyx (inbound)'];
  if (typeof origin !== 'object') return [show(origin)];
  if (origin.by === 'operator') return ['dialed by operator'];
  if (origin.by === 'rule') {
    return [`dialed by rule ${show(origin.rule, '(unnamed)')}`,
      hasId(origin.call_control_id) ? [' on an event of ', callLink(origin.call_control_id)] : null];
  }
  return [`${show(origin.action, 'started')} by ${show(origin.by, 'unknown')}`];
}

// Replaces a container's children; a focused call link keeps focus on its replacement.
export function replaceKeepingFocus(container, nodes) {
  const focused = document.activeElement;
  const key = focused && container.contains(focused) ? focused.dataset?.open : undefined;
  container.replaceChildren(...nodes);
  if (key === undefined) return;
  for (const button of container.querySelectorAll('button[data-open]')) {
    if (button.dataset.open === key) return button.focus();
  }
}

// Supervisors or legs: re-rendered only when what they show changed.
export function renderLegList(name, entries, render) {
  const shown = JSON.stringify(entries);
  if (state.shownLegs.get(name) === shown) return;
  state.shownLegs.set(name, shown);
  replaceKeepingFocus($(name), entries.map(render));
  $(`${name}-empty`).hidden = entries.length > 0;
}

export function legItem(leg) {
  return el('li', { class: 'leg-item' },
    el('div', { class: 'leg-head' }, callLink(leg.call_control_id), ' ', badge(leg.status)),
    el('div', { class: 'leg-meta mono' }, `${show(leg.from)} → ${show(leg.to)}`));
}

function clientStateNodes(raw) {
  if (raw == null) return ['none'];
  const b64 = show(raw, '');
  if (b64 === '') return ['empty'];
  const rawNode = el('code', { class: 'raw mono', title: 'base64' }, b64);
  const bytes = base64ToBytes(b64);
  if (!bytes) return ['not valid base64 ', rawNode];
  const text = decodeUtf8(bytes);
  if (text !== null && isPrintable(text)) return [el('span', { class: 'decoded' }, text), ' ', rawNode];
  return [`binary (${bytes.length} bytes) `, rawNode];
}

// Refer / SIPREC / noise suppression: status badge plus whichever details are present.
function summaryNodes(obj, details) {
  if (!obj || typeof obj !== 'object') return ['none'];
  const parts = details.map(([key, label]) => (obj[key] == null ? null : `${label}${show(obj[key])}`));
  return joinParts([badge(obj.status), ...parts]);
}

function timeKey(raw) {
  const ms = Date.parse(String(raw ?? ''));
  return Number.isNaN(ms) ? Infinity : ms;
}

// Events, actions and forwards merged by time; Array#sort is stable so ties keep arrival order.
export function timelineItems(callState) {
  const entries = [
    ...arrayOf(callState.events).map((e) => ({ key: timeKey(e.occurred_at), render: () => eventItem(e) })),
    ...arrayOf(callState.actions).map((a) => ({ key: timeKey(a.at), render: () => actionItem(a) })),
    ...arrayOf(callState.forwards).map((f) => ({ key: timeKey(f.at), render: () => forwardItem(f) })),
  ];
  entries.sort((x, y) => (x.key > y.key) - (x.key < y.key));
  return entries.map((entry) => entry.render());
}

function eventItem(event) {
  return el('li', { class: 'tl-item', 'data-type': 'event' },
    timeEl(event.occurred_at), ' ',
    el('span', { class: 'tl-kind' }, 'event'), ' ',
    el('span', { class: 'tl-name' }, show(event.event_type)), ' ',
    el('code', { class: 'tl-id mono' }, show(event.id)));
}

function actionItem(action) {
  return el('li', { class: 'tl-item', 'data-type': 'action' },
    timeEl(action.at), ' ',
    el('span', { class: 'tl-kind' }, 'action'), ' ',
    el('span', { class: 'tl-name' }, show(action.action)), ' ',
    badge(action.status), ' ',
    el('span', { class: 'tl-rule', title: action.rule == null ? 'Taken by' : 'Triggered by the rule' }, actorOf(action)),
    action.http_status == null ? null : [' ', el('span', { class: 'tl-http' }, `HTTP ${show(action.http_status)}`)],
    action.error == null ? null : [' ', el('span', { class: 'tl-error' }, show(action.error))]);
}

// Who took an action: its rule's name, or "by" the operator who asked for it.
function actorOf(action) {
  if (action.rule != null) return show(action.rule);
  return action.by == null || action.by === '' ? 'operator' : `by ${show(action.by)}`;
}

// One delivery to a forwarding URL, with a button that sends the event to every URL again
// (controls' onTimelineClick).
function forwardItem(forward) {
  const attempts = Number(forward.attempts);
  return el('li', { class: 'tl-item', 'data-type': 'forward' },
    timeEl(forward.at), ' ',
    el('span', { class: 'tl-kind' }, 'forward'), ' ',
    el('code', { class: 'tl-id mono' }, show(forward.event_id)), ' ',
    badge(forward.status), ' ',
    el('span', { class: 'tl-url mono' }, show(forward.url)), ' ',
    el('span', { class: 'tl-http' }, `${show(forward.attempts)} attempt${attempts === 1 ? '' : 's'}`),
    forward.http_status == null ? null : [' ', el('span', { class: 'tl-http' }, `HTTP ${show(forward.http_status)}`)],
    forward.error == null ? null : [' ', el('span', { class: 'tl-error' }, show(forward.error))], ' ',
    el('button', { type: 'button', class: 'secondary tl-replay', 'data-replay': show(forward.event_id, ''),
      'aria-label': `Replay ${show(forward.event_id)}` }, 'Replay'));
}
