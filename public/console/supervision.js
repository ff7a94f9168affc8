// The open call's supervisor legs: which are shown, the one Barge, Whisper, Monitor and
// Leave act on, and the Supervisor group's list, mode line and buttons.

import { $, el, show, arrayOf, hasId, timeEl, badge } from './dom.js';
import { callLink, renderLegList } from './render.js';

export const ROLES = ['barge', 'whisper', 'monitor'];

// The call's supervisor legs, oldest first, with a leg dialed here that the state
// does not show yet.
function supervisorsOf(session) {
  const entries = arrayOf(session.state?.supervisors).filter((entry) => hasId(entry.call_control_id));
  const pending = session.pendingLeg;
  if (pending) {
    const known = entries.some((entry) => String(entry.call_control_id) === pending.call_control_id);
    if (known || Date.now() > pending.until) session.pendingLeg = null;
    else entries.push(pending.entry);
  }
  return entries;
}

// The leg Barge, Whisper, Monitor and Leave act on: the newest that is not hung up.
export function activeSupervisor(session) {
  const entries = supervisorsOf(session);
  for (let i = entries.length - 1; i >= 0; i -= 1) {
    if (entries[i].status !== 'hangup') return entries[i];
  }
  return null;
}

function supervisionButtons() {
  return [...$('supervisor-group').querySelectorAll('button[data-action]')];
}

export function renderSupervision(session) {
  const entries = supervisorsOf(session);
  renderLegList('supervisors', entries, supervisorItem);
  const leg = activeSupervisor(session);
  const mode = leg
    ? `On the call: ${show(leg.to)} (${show(leg.role, 'no role')}, ${show(leg.status, 'unknown')}). `
      + 'Barge, Whisper and Monitor switch its role; Leave hangs it up.'
    : 'No supervisor on the call: Barge, Whisper and Monitor dial the Supervisor address in that role.';
  if ($('supervisor-mode').textContent !== mode) $('supervisor-mode').textContent = mode;
  for (const button of supervisionButtons()) {
    const key = button.dataset.action;
    // With a leg up the role buttons are toggles showing its role; without, plain actions.
    if (ROLES.includes(key) && leg) button.setAttribute('aria-pressed', String(leg.role === key));
    else button.removeAttribute('aria-pressed');
    if (button === session.supervising || button.getAttribute('aria-busy') === 'true') continue;
    button.disabled = Boolean(session.supervising) || (key === 'leave' && !leg);
  }
}

// Address and status, then the role, the leg (it opens) and when it last changed.
function supervisorItem(entry) {
  return el('li', { class: 'leg-item' },
    el('div', { class: 'leg-head' }, el('span', { class: 'mono leg-to' }, show(entry.to)), ' ', badge(entry.status)),
    el('div', { class: 'leg-meta' },
      el('span', { class: 'role-tag' }, show(entry.role, 'no role')), ' · leg ', callLink(entry.call_control_id),
      entry.by === undefined ? null : [' · ', entry.by == null ? 'by a rule' : `by ${show(entry.by)}`],
      entry.at == null ? null : [' · ', timeEl(entry.at)]));
}
