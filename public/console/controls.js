// The open call's controls: each group's requests, the supervisor leg's, and the
// timeline's Replay.

import { state, storeSupervisorAddress } from './state.js';
import { $, value, show, hasId, setMessage, setBusy, showFieldError, clearFieldErrors } from './dom.js';
import { utf8ToBase64 } from './encoding.js';
import { api, callPath, errorsOf, describeErrors, MSG_NETWORK } from './api.js';
import { ROLES, activeSupervisor, renderSupervision } from './supervision.js';
import { pollOnce } from './call.js';

// A leg this page dialed counts as the call's supervisor from the Dial's answer on; its
// entry in the call's state follows within about a second. Past this, the state decides.
const PENDING_LEG_MS = 15000;

// Pointer → element id; a Map so pointers like "__proto__" can't hit Object.prototype.
// An error is shown next to a field of the form that sent the request only.
const FIELD_BY_POINTER = new Map([
  ['/to', 'supervisor-address'],
  ['/digits', 'digits'],
  ['/sip_address', 'sip-address'],
  ['/client_state', 'client-state'],
  ['/connector_name', 'connector'],
  ['/siprec_track', 'track'],
  ['/direction', 'direction'],
  ['/noise_suppression_engine', 'engine'],
  ['/role', 'supervisor-group'],
]);

// Barge, Whisper, Monitor and Leave act on the call's supervisor leg: see onSupervise.
const ACTIONS = {
  'siprec-start': { action: 'siprec_start', body: siprecStartBody },
  'siprec-stop': { action: 'siprec_stop', body: () => ({}) },
  'suppression-start': {
    action: 'suppression_start',
    body: () => ({ direction: value('direction'), noise_suppression_engine: value('engine') }),
  },
  // Telnyx's suppression_stop takes no direction: it stops whatever is running.
  'suppression-stop': { action: 'suppression_stop', body: () => ({}) },
  dtmf: { action: 'send_dtmf', body: () => ({ digits: value('digits').trim() }) },
  refer: { action: 'refer', body: () => ({ sip_address: value('sip-address').trim() }) },
  'client-state': {
    action: 'client_state_update',
    method: 'PUT',
    body: () => ({ client_state: utf8ToBase64(value('client-state')) }),
  },
  hangup: { action: 'hangup', body: () => ({}) },
};

function siprecStartBody() {
  const body = { siprec_track: value('track') };
  const connector = value('connector').trim();
  if (connector) body.connector_name = connector; // omitted so the server names what is missing
  return body;
}

export async function onControlSubmit(event) {
  event.preventDefault(); // form-action is 'none'; never submit natively
  const form = event.target;
  const button = event.submitter ?? form.querySelector('button[data-action]');
  const key = button?.dataset.action;
  if (!key || button.disabled || !state.current) return;
  if (key === 'leave' || ROLES.includes(key)) return onSupervise(form, button, key);
  const spec = Object.hasOwn(ACTIONS, key) ? ACTIONS[key] : null;
  if (!spec) return;
  const session = state.current;
  await send(form, button, spec.action, () => api(spec.method ?? 'POST', callPath(session.id, `/actions/${spec.action}`),
    spec.body()), (result) => {
    setMessage(form.querySelector('.group-msg'), `${spec.action} sent (${result.status})`, 'ok');
  });
}

// Sends one request for a control group's button: the button is busy meanwhile, a
// refusal shows next to the fields it names, and after success the call is read again
// (while it is polled: a live stream shows the change by itself).
async function send(form, button, action, request, onSuccess) {
  const session = state.current;
  const message = form.querySelector('.group-msg');
  clearFieldErrors(form);
  setMessage(message, '', 'ok');
  const hadFocus = document.activeElement === button;
  setBusy(button, true);
  try {
    const result = await request();
    if (session !== state.current) return;
    if (result.status >= 200 && result.status < 300) {
      onSuccess(result);
      pollOnce(session); // while polled, show the effect now rather than at the next poll
    } else if (result.status !== 401) {
      showActionErrors(form, message, action, result);
    }
  } catch {
    if (session === state.current) setMessage(message, `${action} failed: ${MSG_NETWORK}`);
  } finally {
    setBusy(button, false);
    // Disabling a focused button drops focus to <body>; put it back for keyboard users.
    if (hadFocus && (document.activeElement === document.body || document.activeElement == null)) button.focus();
  }
}

// Barge, Whisper, Monitor: with no supervisor leg up, dial one to the Supervisor address
// in that role; with one, switch that leg's role. Leave hangs that leg up. Nothing here
// is ever sent to the open call's own actions.
async function onSupervise(form, button, key) {
  const session = state.current;
  const message = form.querySelector('.group-msg');
  const leg = activeSupervisor(session);
  if (key === 'leave' && !leg) {
    setMessage(message, 'There is no supervisor leg to leave.');
    return;
  }
  session.supervising = button; // the group's other buttons wait for this request
  renderSupervision(session);
  try {
    if (leg) {
      const legId = String(leg.call_control_id);
      const action = key === 'leave' ? 'hangup' : 'switch_supervisor_role';
      const body = key === 'leave' ? {} : { role: key };
      await send(form, button, action, () => api('POST', callPath(legId, `/actions/${action}`), body), (result) => {
        setMessage(message, `${action} sent (${result.status}) to the supervisor leg ${legId}`, 'ok');
      });
      return;
    }
    const to = value('supervisor-address').trim();
    storeSupervisorAddress(to);
    const body = to ? { to, role: key } : { role: key }; // without `to` the worker says it is required
    await send(form, button, 'supervise', () => api('POST', callPath(session.id, '/supervise'), body), (result) => {
      const dialed = result.json?.data?.call_control_id;
      if (hasId(dialed)) {
        const id = String(dialed);
        session.pendingLeg = {
          call_control_id: id,
          until: Date.now() + PENDING_LEG_MS,
          entry: { call_control_id: id, to, role: key, status: 'dialing', by: state.operator?.id },
        };
      }
      setMessage(message, hasId(dialed)
        ? `supervise sent (${result.status}): dialing ${to} as ${key}, leg ${show(dialed)}`
        : `supervise sent (${result.status})`, 'ok');
    });
  } finally {
    session.supervising = null;
    if (session === state.current) renderSupervision(session);
  }
}

function showActionErrors(form, message, action, { status, json }) {
  const errors = errorsOf(json);
  const unmapped = [];
  for (const error of errors) {
    const fieldId = status === 422 ? FIELD_BY_POINTER.get(error.source?.pointer) : undefined;
    const inForm = fieldId !== undefined && form.contains($(fieldId));
    if (!inForm || !showFieldError(fieldId, show(error.detail ?? error.title, 'Invalid value.'))) unmapped.push(error);
  }
  const summary = unmapped.length || !errors.length ? describeErrors(unmapped, status) : 'see the highlighted field';
  setMessage(message, `${action} failed (${status}): ${summary}`);
}

// Replay: sends a forward's event to every forwarding URL again.
export async function onTimelineClick(event) {
  const button = event.target.closest('button[data-replay]');
  if (!button || button.disabled || !state.current) return;
  const session = state.current;
  const eventId = button.dataset.replay;
  setBusy(button, true);
  try {
    const result = await api('POST', callPath(session.id, `/forwards/${encodeURIComponent(eventId)}/replay`));
    if (session !== state.current) return;
    if (result.status === 202) {
      setMessage($('detail-msg'), `${eventId} queued for every forwarding URL again`, 'ok');
      pollOnce(session);
    } else if (result.status !== 401) {
      setMessage($('detail-msg'), `Replay of ${eventId} failed: ${describeErrors(errorsOf(result.json), result.status)}`);
    }
  } catch {
    if (session === state.current) setMessage($('detail-msg'), `Replay of ${eventId} failed: ${MSG_NETWORK}`);
  } finally {
    setBusy(button, false);
  }
}
