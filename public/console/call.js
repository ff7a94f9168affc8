// The call view: opening and closing a call, keeping its state live (a stream, with
// polling as the fallback) and drawing it.

import { state } from './state.js';
import { $, arrayOf, hasId, setMessage, clearFieldErrors } from './dom.js';
import { api, authHeaders, callPath, errorsOf, describeErrors, unauthorized, MSG_NETWORK } from './api.js';
import { factRows, legItem, renderLegList, replaceKeepingFocus, timelineItems } from './render.js';
import { renderSupervision } from './supervision.js';
import { closeCallTimeline, renderCallTimeline, resetCallTimeline } from './timeline.js';

const POLL_MS = 1000;
const STREAM_RETRY_MS = 15000;
// The stream sends only changes: after this long without one it is reopened, so a
// connection that died silently is noticed.
const STREAM_IDLE_MS = 60000;
const MAX_SSE_BUFFER = 4 * 1024 * 1024;

const LINK_LABELS = { connecting: 'Connecting…', live: 'Live', polling: 'Polling', offline: 'Offline' };

// ---------- open / close ----------

// The list's row of the open call shows as selected.
export function markSelected(row) {
  const selected = state.current?.id === row.id;
  row.li.classList.toggle('selected', selected);
  if (selected) row.button.setAttribute('aria-current', 'true');
  else row.button.removeAttribute('aria-current');
}

export function openCall(id) {
  closeCall();
  state.current = {
    id, ctrl: null, pollTimer: 0, retryTimer: 0, idleTimer: 0, idle: false, pollBusy: false, closed: false,
    updatedAt: -Infinity, state: null, pendingLeg: null, supervising: null,
    lanes: { states: new Map(), fetchedAt: 0, busy: false, again: false, timer: 0 },
  };
  resetDetail(id);
  state.rows.forEach(markSelected);
  $('console').dataset.view = 'detail';
  $('detail-title').focus();
  connectStream(state.current);
}

export function closeCall() {
  if (!state.current) return;
  const session = state.current;
  state.current = null;
  session.closed = true;
  session.ctrl?.abort();
  clearInterval(session.pollTimer);
  clearTimeout(session.retryTimer);
  clearTimeout(session.idleTimer);
  closeCallTimeline(session);
  state.rows.forEach(markSelected);
  $('detail-body').hidden = true;
  $('detail-empty').hidden = false;
}

export function goBack() {
  const id = state.current?.id;
  closeCall();
  $('console').dataset.view = 'list';
  const row = id == null ? null : state.rows.get(id);
  (row && !row.li.hidden ? row.button : $('search')).focus();
}

function resetDetail(id) {
  $('detail-title').textContent = id;
  $('facts').replaceChildren();
  for (const list of ['supervisors', 'legs']) {
    $(list).replaceChildren();
    $(`${list}-empty`).hidden = true;
  }
  state.shownLegs.clear();
  $('supervisor-mode').textContent = '';
  $('timeline').replaceChildren();
  $('timeline-empty').hidden = true;
  resetCallTimeline();
  $('controls-note').hidden = true;
  setMessage($('detail-msg'), '');
  setLinkState('connecting');
  setControlsDisabled(true); // until the first state arrives
  for (const form of $('controls').querySelectorAll('form')) {
    clearFieldErrors(form);
    setMessage(form.querySelector('.group-msg'), '', 'ok');
  }
  $('detail-body').hidden = false;
  $('detail-empty').hidden = true;
}

function setLinkState(linkState) {
  const node = $('link-state');
  node.dataset.state = linkState;
  node.textContent = LINK_LABELS[linkState];
}

function setControlsDisabled(disabled) {
  for (const fieldset of $('controls').querySelectorAll('fieldset')) fieldset.disabled = disabled;
}

// ---------- live stream with polling fallback ----------

async function connectStream(session) {
  if (session.closed) return;
  const ctrl = new AbortController();
  session.ctrl = ctrl;
  try {
    const response = await fetch(callPath(session.id, '/live'), {
      headers: { Accept: 'text/event-stream', ...authHeaders() },
      cache: 'no-store',
      credentials: 'same-origin',
      signal: ctrl.signal,
    });
    if (response.status === 401) {
      ctrl.abort();
      if (!session.closed) unauthorized();
      return;
    }
    const type = (response.headers.get('content-type') ?? '').toLowerCase();
    if (response.status !== 200 || !type.startsWith('text/event-stream') || !response.body) {
      ctrl.abort(); // discard the body; polling reports the error
      throw new Error('stream unavailable');
    }
    stopPolling(session);
    setLinkState('live');
    const idle = () => {
      clearTimeout(session.idleTimer);
      session.idleTimer = setTimeout(() => { session.idle = true; ctrl.abort(); }, STREAM_IDLE_MS);
    };
    idle();
    await readEvents(response.body, (callState) => applyState(session, callState), idle);
  } catch {
    // failure or abort: handled below
  }
  clearTimeout(session.idleTimer);
  if (session.closed) return;
  if (session.idle) {
    session.idle = false;
    connectStream(session); // quiet, not failed: reopen at once (it starts with the state)
  } else {
    startPolling(session);
  }
}

async function readEvents(body, onState, onChunk) {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  for (;;) {
    const { value: chunk, done } = await reader.read();
    if (done) return;
    onChunk();
    buffer += decoder.decode(chunk, { stream: true });
    if (buffer.length > MAX_SSE_BUFFER) throw new Error('SSE frame too large');
    let boundary;
    while ((boundary = /\r\n\r\n|\n\n|\r\r/.exec(buffer))) {
      const frame = buffer.slice(0, boundary.index);
      buffer = buffer.slice(boundary.index + boundary[0].length);
      handleFrame(parseFrame(frame), onState);
    }
  }
}

function parseFrame(frame) {
  let event = 'message';
  const data = [];
  for (const line of frame.split(/\r\n|\n|\r/)) {
    if (!line || line.startsWith(':')) continue; // comments are keep-alives
    const colon = line.indexOf(':');
    const field = colon === -1 ? line : line.slice(0, colon);
    let val = colon === -1 ? '' : line.slice(colon + 1);
    if (val.startsWith(' ')) val = val.slice(1);
    if (field === 'event') event = val;
    else if (field === 'data') data.push(val);
  }
  return { event, data: data.join('\n') };
}

function handleFrame({ event, data }, onState) {
  if ((event !== 'state' && event !== 'message') || !data) return;
  let callState;
  try { callState = JSON.parse(data); } catch { return; } // skip it: the next frame carries the full state
  onState(callState);
}

function startPolling(session) {
  if (session.closed) return;
  stopPolling(session);
  setLinkState('polling');
  session.pollTimer = setInterval(() => pollOnce(session), POLL_MS);
  pollOnce(session);
  session.retryTimer = setTimeout(() => connectStream(session), STREAM_RETRY_MS);
}

function stopPolling(session) {
  clearInterval(session.pollTimer);
  clearTimeout(session.retryTimer);
  session.pollTimer = 0;
  session.retryTimer = 0;
}

// Reads the call once, while its stream is down. While the stream is up it alone draws
// the call: a read served before a change can answer after the stream has shown that
// change, and the same `updated_at` (a supervisor's or a forward's change does not move
// it) could not tell the two apart.
export async function pollOnce(session) {
  if (session.closed || session.pollBusy || !session.pollTimer) return;
  session.pollBusy = true;
  try {
    const { status, json } = await api('GET', callPath(session.id));
    if (session.closed || !session.pollTimer) return;
    setLinkState('polling');
    if (status === 200) applyState(session, json);
    else if (status === 404) setMessage($('detail-msg'), 'This call is not known to the worker (404).');
    else if (status !== 401) setMessage($('detail-msg'), `Could not load the call: ${describeErrors(errorsOf(json), status)}`);
  } catch {
    if (session.closed || !session.pollTimer) return;
    setLinkState('offline');
    setMessage($('detail-msg'), MSG_NETWORK);
  } finally {
    session.pollBusy = false;
  }
}

function applyState(session, callState) {
  if (session !== state.current || !callState || typeof callState !== 'object') return;
  if (callState.call_control_id != null && String(callState.call_control_id) !== session.id) return;
  const updated = Date.parse(String(callState.updated_at ?? ''));
  if (!Number.isNaN(updated)) {
    if (updated < session.updatedAt) return; // an older snapshot raced a newer one
    session.updatedAt = updated;
  }
  setMessage($('detail-msg'), '');
  session.state = callState;
  renderDetail(session, callState);
}

function renderDetail(session, callState) {
  replaceKeepingFocus($('facts'), factRows(callState));
  renderSupervision(session);
  renderLegList('legs', arrayOf(callState.legs).filter((leg) => hasId(leg.call_control_id)), legItem);
  const timeline = timelineItems(callState);
  $('timeline').replaceChildren(...timeline);
  $('timeline-empty').hidden = timeline.length > 0;
  renderCallTimeline(session);
  const ended = callState.status === 'hangup';
  setControlsDisabled(ended);
  $('controls-note').hidden = !ended;
}
