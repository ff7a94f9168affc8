// telnyx-edge operator console.
// Every value from the API is attacker-controlled: render with text nodes only.

const TOKEN_KEY = 'telnyx-edge.admin-token';
// The supervisor's address is no secret: kept across tabs and visits (local storage).
const SUPERVISOR_KEY = 'telnyx-edge.supervisor-address';
const ROLES = ['barge', 'whisper', 'monitor'];
// A leg this page dialed counts as the call's supervisor from the Dial's answer on; its
// entry in the call's state follows within about a second. Past this, the state decides.
const PENDING_LEG_MS = 15000;
const PAGE_SIZE = 50;
// Each refresh is a KV list operation (billed like a write); it pauses while the tab is hidden.
const LIST_REFRESH_MS = 2000;
const POLL_MS = 1000;
const STREAM_RETRY_MS = 15000;
// The stream sends only changes: after this long without one it is reopened, so a
// connection that died silently is noticed.
const STREAM_IDLE_MS = 60000;
const MAX_SSE_BUFFER = 4 * 1024 * 1024;

const MSG_UNAUTHORIZED = 'That admin token was not accepted. Check ADMIN_TOKEN and try again.';
const MSG_NOT_CONFIGURED = 'The worker has no ADMIN_TOKEN configured (nor Cloudflare Access). '
  + 'Set it (wrangler secret put ADMIN_TOKEN) and try again.';
const MSG_NETWORK = 'Could not reach the worker. Check your connection and try again.';
const MSG_ACCESS_ENDED = 'Cloudflare Access no longer signs this page in. '
  + 'Reload the page to sign in through Access again, or use the admin token.';
const MSG_ACCESS_UNAVAILABLE = 'Cloudflare Access could not be checked (the worker could not fetch its keys). '
  + 'Reload to try again, or use the admin token.';
// Where Cloudflare Access ends its session for the application.
const ACCESS_LOGOUT = '/cdn-cgi/access/logout';

const LINK_LABELS = { connecting: 'Connecting…', live: 'Live', polling: 'Polling', offline: 'Offline' };

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

const $ = (id) => document.getElementById(id);
const value = (id) => $(id).value;
const wide = window.matchMedia('(min-width: 900px)');

const timeFormat = new Intl.DateTimeFormat(undefined, {
  hour: '2-digit', minute: '2-digit', second: '2-digit', fractionalSecondDigits: 3,
});
const dateTimeFormat = new Intl.DateTimeFormat(undefined, {
  month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit', second: '2-digit', fractionalSecondDigits: 3,
});

let token = readStoredToken();
// Who GET /operator says is signed in, { id, via } (via is "access" or "admin-token");
// null while signed out or before it answered.
let operator = null;
// `first` is re-fetched every tick; `extra` holds pages added with "Load more".
const list = { first: [], extra: [], cursor: null, moreLoaded: false, generation: 0, inFlight: null, timer: 0 };
const rows = new Map();
// The open call's session: { id, ctrl, pollTimer, retryTimer, pollBusy, closed, updatedAt,
// state (the newest applied), pendingLeg (a supervisor leg dialed here, until the state has it),
// supervising (the Barge/Whisper/Monitor/Leave button whose request is out, or null) }.
let current = null;
// What the open call's supervisors and legs lists show, as JSON: unchanged lists are kept.
const shownLegs = new Map();

// ---------- DOM helpers ----------

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, val] of Object.entries(attrs ?? {})) {
    if (val == null || val === false) continue;
    node.setAttribute(name, val === true ? '' : String(val));
  }
  for (const child of children.flat()) {
    if (child == null || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

// Untrusted scalar → display string (objects are shown as JSON text, never parsed as markup).
function show(v, fallback = '—') {
  if (v == null || v === '') return fallback;
  return typeof v === 'object' ? JSON.stringify(v) : String(v);
}

function arrayOf(v) {
  return Array.isArray(v) ? v.filter((item) => item && typeof item === 'object') : [];
}

function timeEl(raw, format = timeFormat) {
  const ms = Date.parse(String(raw ?? ''));
  if (raw == null || Number.isNaN(ms)) return el('span', { class: 'time' }, show(raw));
  const iso = new Date(ms).toISOString();
  return el('time', { datetime: iso, title: iso, class: 'time' }, format.format(ms));
}

// Fixed set of kinds so badge colours never depend on raw API strings.
function statusKind(status) {
  switch (status) {
    case 'initiated': case 'answered': case 'bridged': case 'active': case 'started': return 'live';
    case 'hangup': case 'stopped': return 'ended';
    case 'failed': return 'failed';
    case 'succeeded': case 'delivered': case 'completed': return 'ok';
    case 'pending': case 'dialing': return 'pending';
    default: return 'unknown';
  }
}

function badge(status) {
  return el('span', { class: 'badge', 'data-kind': statusKind(status) }, show(status, 'unknown'));
}

function joinParts(parts, separator = ' · ') {
  return parts.filter((p) => p != null && p !== '').flatMap((p, i) => (i ? [separator, p] : [p]));
}

function setMessage(node, text, kind = 'error') {
  node.textContent = text;
  node.dataset.kind = kind;
}

function setBusy(button, busy) {
  if (busy) button.setAttribute('aria-busy', 'true');
  else button.removeAttribute('aria-busy');
  button.disabled = busy;
}

// ---------- encoding ----------

function utf8ToBase64(text) {
  const bytes = new TextEncoder().encode(text);
  let binary = '';
  for (let i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(binary);
}

function base64ToBytes(b64) {
  try { return Uint8Array.from(atob(b64), (c) => c.charCodeAt(0)); } catch { return null; }
}

function decodeUtf8(bytes) {
  try { return new TextDecoder('utf-8', { fatal: true }).decode(bytes); } catch { return null; }
}

function isPrintable(text) {
  return !/[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]/.test(text);
}

// ---------- token storage ----------

// Storage may be disabled; the in-memory token still works for this page then.
function readStoredToken() {
  try { return sessionStorage.getItem(TOKEN_KEY); } catch { return null; }
}

function storeToken(next) {
  try {
    if (next) sessionStorage.setItem(TOKEN_KEY, next);
    else sessionStorage.removeItem(TOKEN_KEY);
  } catch { /* see above */ }
}

function readSupervisorAddress() {
  try { return localStorage.getItem(SUPERVISOR_KEY) ?? ''; } catch { return ''; }
}

function storeSupervisorAddress(address) {
  try {
    if (address) localStorage.setItem(SUPERVISOR_KEY, address);
    else localStorage.removeItem(SUPERVISOR_KEY);
  } catch { /* storage disabled: the field keeps it for this page */ }
}

// ---------- API ----------

function authHeaders(bearer = token) {
  return bearer ? { Authorization: `Bearer ${bearer}` } : {};
}

// Returns { status, json }; throws only on network failure. A 401 on a signed-in request signs out.
// `token: ''` sends no Authorization. Same-origin credentials: behind Cloudflare Access its
// cookie goes along (Access adds the Cf-Access-Jwt-Assertion header itself).
async function api(method, path, body, { token: override, signal } = {}) {
  const headers = { Accept: 'application/json', ...authHeaders(override ?? token) };
  const init = { method, headers, cache: 'no-store', credentials: 'same-origin', signal };
  if (body !== undefined) {
    headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  const response = await fetch(path, init);
  let json = null;
  try { json = JSON.parse(await response.text()); } catch { /* empty or non-JSON: status alone tells */ }
  if (response.status === 401 && override === undefined && operator) signOut(unauthorizedMessage());
  return { status: response.status, json };
}

function callPath(id, suffix = '') {
  return `/calls/${encodeURIComponent(id)}${suffix}`;
}

function errorsOf(json) {
  return arrayOf(json?.errors);
}

function describeError(error) {
  const title = error.title == null ? '' : show(error.title);
  const detail = error.detail == null ? '' : show(error.detail);
  if (title && detail && title !== detail) return `${title}: ${detail}`;
  return detail || title || show(error.code, '');
}

// A 503 is "no ADMIN_TOKEN" only when the worker says so; storage outages are 503 too.
function notConfigured(status, json) {
  return status === 503 && errorsOf(json).some((error) => error.code === 'admin_token_missing');
}

function describeErrors(errors, status) {
  const parts = errors.map(describeError).filter(Boolean);
  return parts.length ? parts.join('; ') : `HTTP ${status}`;
}

// ---------- sign in / out ----------

function unauthorizedMessage() {
  return operator?.via === 'access' ? MSG_ACCESS_ENDED : MSG_UNAUTHORIZED;
}

// The operator in a 200 from GET /operator, or null when the answer names none.
function operatorOf(json) {
  const id = json?.id;
  if (typeof id !== 'string' || id === '') return null;
  return { id, via: json.via === 'access' ? 'access' : 'admin-token' };
}

function showView(signedIn, message = '') {
  $('checking').hidden = true;
  $('signin').hidden = signedIn;
  $('console').hidden = !signedIn;
  $('sign-out').hidden = !signedIn;
  $('signed-in-as').hidden = !signedIn;
  $('operator-id').textContent = signedIn ? operator.id : '';
  setMessage($('signin-error'), message);
  if (signedIn) startListRefresh();
  else $('admin-token').focus();
}

// On load: behind Cloudflare Access, GET /operator with no token answers who is signed
// in, and the page needs no token. Otherwise a token kept by this tab is tried, and
// failing that the token field is shown.
async function start() {
  let message = '';
  try {
    const { status, json } = await api('GET', '/operator', undefined, { token: '' });
    const found = status === 200 ? operatorOf(json) : null;
    if (found) {
      operator = found;
      // Access signs this tab in; a token kept from before is not needed.
      token = null;
      storeToken(null);
      showView(true);
      return;
    }
    if (notConfigured(status, json)) message = MSG_NOT_CONFIGURED;
    else if (status === 503 && errorsOf(json).some((error) => error.code === 'access_unavailable')) {
      message = MSG_ACCESS_UNAVAILABLE;
    }
    // A kept admin token may still work while Access could not be checked.
    if (token && !notConfigured(status, json)) {
      const kept = await api('GET', '/operator', undefined, { token });
      const again = kept.status === 200 ? operatorOf(kept.json) : null;
      if (again) {
        operator = again;
        message = '';
        showView(true);
        return;
      }
      if (kept.status === 401) {
        token = null;
        storeToken(null);
        message = MSG_UNAUTHORIZED;
      }
    }
  } catch {
    message = MSG_NETWORK;
  }
  showView(false, message);
}

async function onSignIn(event) {
  event.preventDefault();
  const input = $('admin-token');
  const button = $('signin-button');
  const candidate = input.value.trim();
  if (!candidate) return setMessage($('signin-error'), 'Enter the admin token.');
  // fetch() rejects header values outside visible ASCII; say so instead of "network error".
  if (!/^[\x21-\x7e]+$/.test(candidate)) {
    return setMessage($('signin-error'), 'The admin token contains characters that cannot be sent in a header.');
  }
  setMessage($('signin-error'), '');
  setBusy(button, true);
  try {
    const { status, json } = await api('GET', '/operator', undefined, { token: candidate });
    const found = status === 200 ? operatorOf(json) : null;
    if (found) {
      operator = found;
      token = candidate;
      storeToken(candidate);
      input.value = '';
      showView(true);
      $('filter-status').focus();
      return;
    }
    const known = status === 401 ? MSG_UNAUTHORIZED : notConfigured(status, json) ? MSG_NOT_CONFIGURED : null;
    setMessage($('signin-error'), known ?? `The worker refused: ${describeErrors(errorsOf(json), status)}`);
  } catch {
    setMessage($('signin-error'), MSG_NETWORK);
  } finally {
    setBusy(button, false);
  }
}

// Behind Access, signing out ends the Access session (a page of Access's own); with the
// token, it forgets the token.
function onSignOut() {
  if (operator?.via === 'access') window.location.assign(ACCESS_LOGOUT);
  else signOut();
}

function signOut(message = '') {
  operator = null;
  token = null;
  storeToken(null);
  stopListRefresh();
  closeCall();
  resetList();
  $('console').dataset.view = 'list';
  showView(false, message);
}

// ---------- call list ----------

function listPath(cursor) {
  const params = new URLSearchParams({ limit: String(PAGE_SIZE) });
  const status = value('filter-status');
  if (status) params.set('status', status);
  if (cursor) params.set('cursor', cursor);
  return `/calls?${params}`;
}

function callsOf(json) {
  return arrayOf(json?.data).filter((call) => call.call_control_id != null && call.call_control_id !== '');
}

function cursorOf(json) {
  const cursor = json?.meta?.cursor;
  return typeof cursor === 'string' && cursor ? cursor : null;
}

function startListRefresh() {
  stopListRefresh();
  refreshList();
  list.timer = setInterval(() => {
    if (!document.hidden) refreshList();
  }, LIST_REFRESH_MS);
}

function stopListRefresh() {
  clearInterval(list.timer);
}

function resetList() {
  list.generation += 1;
  Object.assign(list, { first: [], extra: [], cursor: null, moreLoaded: false, inFlight: null });
  rows.clear();
  $('call-list').replaceChildren();
  setMessage($('list-msg'), '');
  $('list-empty').hidden = true;
  $('load-more').hidden = true;
}

async function refreshList() {
  const generation = list.generation;
  if (!operator || list.inFlight === generation) return;
  list.inFlight = generation;
  try {
    const { status, json } = await api('GET', listPath());
    if (generation !== list.generation || !operator) return;
    if (status === 200) {
      const first = callsOf(json);
      if (list.moreLoaded) keepPushedDown(first);
      list.first = first;
      if (!list.moreLoaded) list.cursor = cursorOf(json);
      setMessage($('list-msg'), '');
      renderList();
    } else if (notConfigured(status, json)) {
      setMessage($('list-msg'), MSG_NOT_CONFIGURED);
    } else if (status !== 401) {
      setMessage($('list-msg'), `Could not load calls: ${describeErrors(errorsOf(json), status)}`);
    }
  } catch {
    if (generation === list.generation) setMessage($('list-msg'), 'Offline: could not reach the worker. Retrying…');
  } finally {
    if (list.inFlight === generation) list.inFlight = null;
  }
}

// With older pages loaded, calls that new ones pushed off the first page stay listed
// (they are on no page fetched again).
function keepPushedDown(first) {
  const fresh = new Set(first.map((call) => String(call.call_control_id)));
  const extra = new Set(list.extra.map((call) => String(call.call_control_id)));
  const pushed = list.first.filter((call) => {
    const id = String(call.call_control_id);
    return !fresh.has(id) && !extra.has(id);
  });
  list.extra = [...pushed, ...list.extra];
}

async function loadMore() {
  const button = $('load-more');
  const generation = list.generation;
  if (!list.cursor) return;
  setBusy(button, true);
  try {
    const { status, json } = await api('GET', listPath(list.cursor));
    if (generation !== list.generation) return;
    if (status === 200) {
      list.extra.push(...callsOf(json));
      list.cursor = cursorOf(json);
      list.moreLoaded = true;
      renderList();
    } else if (status !== 401) {
      setMessage($('list-msg'), `Could not load more calls: ${describeErrors(errorsOf(json), status)}`);
    }
  } catch {
    setMessage($('list-msg'), MSG_NETWORK);
  } finally {
    setBusy(button, false);
  }
}

function mergedCalls() {
  const byId = new Map();
  for (const call of [...list.first, ...list.extra]) {
    const id = String(call.call_control_id);
    if (!byId.has(id)) byId.set(id, call);
  }
  return byId;
}

// Rows are updated in place and only moved when order changes, so focus is never stolen.
function renderList() {
  const ul = $('call-list');
  const calls = mergedCalls();
  // Drop stale rows first so surviving rows don't have to move.
  for (const [id, row] of rows) {
    if (!calls.has(id)) {
      row.li.remove();
      rows.delete(id);
    }
  }
  let index = 0;
  for (const [id, call] of calls) {
    const row = rows.get(id) ?? createRow(id);
    updateRow(row, call);
    const at = ul.children[index] ?? null;
    if (at !== row.li) ul.insertBefore(row.li, at);
    index += 1;
  }
  applySearch();
  $('load-more').hidden = !list.cursor;
}

function createRow(id) {
  const button = el('button', { type: 'button', class: 'call-id mono' }, id);
  button.addEventListener('click', () => openCall(id));
  const parties = el('span', { class: 'parties' });
  const status = el('span', { class: 'badge' });
  const started = el('span', { class: 'started subtle' });
  const li = el('li', { class: 'call-row' }, button, el('div', { class: 'call-meta' }, parties, status, started));
  const row = { id, li, button, parties, status, started, haystack: '' };
  rows.set(id, row);
  return row;
}

function updateRow(row, call) {
  const partiesText = `${show(call.from)} → ${show(call.to)}`;
  if (row.parties.textContent !== partiesText) row.parties.textContent = partiesText;
  const statusText = show(call.status, 'unknown');
  if (row.status.textContent !== statusText) row.status.textContent = statusText;
  row.status.dataset.kind = statusKind(call.status);
  if (row.startedRaw !== call.started_at) {
    row.startedRaw = call.started_at;
    row.started.replaceChildren('started ', timeEl(call.started_at, dateTimeFormat));
  }
  row.haystack = [row.id, call.from, call.to].map((v) => show(v, '').toLowerCase()).join('\n');
  markSelected(row);
}

function markSelected(row) {
  const selected = current?.id === row.id;
  row.li.classList.toggle('selected', selected);
  if (selected) row.button.setAttribute('aria-current', 'true');
  else row.button.removeAttribute('aria-current');
}

function applySearch() {
  const query = value('search').trim().toLowerCase();
  let visible = 0;
  for (const row of rows.values()) {
    row.li.hidden = Boolean(query) && !row.haystack.includes(query);
    if (!row.li.hidden) visible += 1;
  }
  const empty = $('list-empty');
  empty.hidden = visible > 0;
  empty.textContent = rows.size === 0 ? 'No calls.' : 'No loaded calls match the search.';
}

// ---------- call detail: open / close ----------

function openCall(id) {
  closeCall();
  current = {
    id, ctrl: null, pollTimer: 0, retryTimer: 0, idleTimer: 0, idle: false, pollBusy: false, closed: false,
    updatedAt: -Infinity, state: null, pendingLeg: null, supervising: null,
  };
  resetDetail(id);
  rows.forEach(markSelected);
  $('console').dataset.view = 'detail';
  $('detail-title').focus();
  connectStream(current);
}

function closeCall() {
  if (!current) return;
  const session = current;
  current = null;
  session.closed = true;
  session.ctrl?.abort();
  clearInterval(session.pollTimer);
  clearTimeout(session.retryTimer);
  clearTimeout(session.idleTimer);
  rows.forEach(markSelected);
  $('detail-body').hidden = true;
  $('detail-empty').hidden = false;
}

function goBack() {
  const id = current?.id;
  closeCall();
  $('console').dataset.view = 'list';
  const row = id == null ? null : rows.get(id);
  (row && !row.li.hidden ? row.button : $('search')).focus();
}

function resetDetail(id) {
  $('detail-title').textContent = id;
  $('facts').replaceChildren();
  for (const list of ['supervisors', 'legs']) {
    $(list).replaceChildren();
    $(`${list}-empty`).hidden = true;
  }
  shownLegs.clear();
  $('supervisor-mode').textContent = '';
  $('timeline').replaceChildren();
  $('timeline-empty').hidden = true;
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

function setLinkState(state) {
  const node = $('link-state');
  node.dataset.state = state;
  node.textContent = LINK_LABELS[state];
}

function setControlsDisabled(disabled) {
  for (const fieldset of $('controls').querySelectorAll('fieldset')) fieldset.disabled = disabled;
}

// ---------- call detail: live stream with polling fallback ----------

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
      if (!session.closed) signOut(unauthorizedMessage());
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
    await readEvents(response.body, (state) => applyState(session, state), idle);
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
  let state;
  try { state = JSON.parse(data); } catch { return; } // skip it: the next frame carries the full state
  onState(state);
}

function startPolling(session) {
  if (session.closed) return;
  stopPolling(session);
  setLinkState('polling');
  pollOnce(session);
  session.pollTimer = setInterval(() => pollOnce(session), POLL_MS);
  session.retryTimer = setTimeout(() => connectStream(session), STREAM_RETRY_MS);
}

function stopPolling(session) {
  clearInterval(session.pollTimer);
  clearTimeout(session.retryTimer);
  session.pollTimer = 0;
  session.retryTimer = 0;
}

async function pollOnce(session) {
  if (session.closed || session.pollBusy) return;
  session.pollBusy = true;
  try {
    const { status, json } = await api('GET', callPath(session.id));
    if (session.closed) return;
    if (session.pollTimer) setLinkState('polling');
    if (status === 200) applyState(session, json);
    else if (status === 404) setMessage($('detail-msg'), 'This call is not known to the worker (404).');
    else if (status !== 401) setMessage($('detail-msg'), `Could not load the call: ${describeErrors(errorsOf(json), status)}`);
  } catch {
    if (session.closed) return;
    if (session.pollTimer) setLinkState('offline');
    setMessage($('detail-msg'), MSG_NETWORK);
  } finally {
    session.pollBusy = false;
  }
}

function applyState(session, state) {
  if (session !== current || !state || typeof state !== 'object') return;
  if (state.call_control_id != null && String(state.call_control_id) !== session.id) return;
  const updated = Date.parse(String(state.updated_at ?? ''));
  if (!Number.isNaN(updated)) {
    if (updated < session.updatedAt) return; // an older snapshot raced a newer one
    session.updatedAt = updated;
  }
  setMessage($('detail-msg'), '');
  session.state = state;
  renderDetail(session, state);
}

// ---------- call detail: rendering ----------

function renderDetail(session, state) {
  replaceKeepingFocus($('facts'), factRows(state));
  renderSupervision(session);
  renderLegList('legs', arrayOf(state.legs).filter((leg) => hasId(leg.call_control_id)), legItem);
  const timeline = timelineItems(state);
  $('timeline').replaceChildren(...timeline);
  $('timeline-empty').hidden = timeline.length > 0;
  const ended = state.status === 'hangup';
  setControlsDisabled(ended);
  $('controls-note').hidden = !ended;
}

// The space between dt and dd keeps the row's text readable as "Status: answered".
function fact(term, ...valueNodes) {
  return el('div', { class: 'fact' }, el('dt', {}, `${term}:`), ' ', el('dd', {}, ...valueNodes));
}

function factRows(state) {
  return [
    fact('From', el('span', { class: 'mono' }, show(state.from))),
    fact('To', el('span', { class: 'mono' }, show(state.to))),
    fact('Status', badge(state.status)),
    fact('Origin', ...originNodes(state.origin)),
    hasId(state.supervising) ? fact('Supervising', callLink(state.supervising)) : null,
    fact('Hangup cause', show(state.hangup_cause, 'none')),
    fact('Client state', ...clientStateNodes(state.client_state)),
    fact('Refer', ...summaryNodes(state.refer, [['sip_address', ''], ['sip_notify_response', 'SIP NOTIFY ']])),
    fact('SIPREC recording', ...summaryNodes(state.siprec,
      [['failure_cause', 'failure cause: '], ['hangup_cause', 'hangup cause: ']])),
    fact('Noise suppression', ...summaryNodes(state.noise_suppression,
      [['direction', 'direction '], ['engine', 'engine ']])),
    // A supervisor leg's own role; a supervised call lists its legs' roles under Supervisors.
    hasId(state.supervising) || state.supervisor_role != null
      ? fact('Supervisor role', show(state.supervisor_role, 'none')) : null,
    fact('Updated', timeEl(state.updated_at, dateTimeFormat)),
    fact('Call leg', el('span', { class: 'mono' }, show(state.call_leg_id))),
    fact('Call session', el('span', { class: 'mono' }, show(state.call_session_id))),
    fact('Connection', el('span', { class: 'mono' }, show(state.connection_id))),
  ].filter(Boolean);
}

function hasId(v) {
  return (typeof v === 'string' && v !== '') || typeof v === 'number';
}

// A button that opens another call; onDetailClick handles it.
function callLink(id) {
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
function replaceKeepingFocus(container, nodes) {
  const focused = document.activeElement;
  const key = focused && container.contains(focused) ? focused.dataset?.open : undefined;
  container.replaceChildren(...nodes);
  if (key === undefined) return;
  for (const button of container.querySelectorAll('button[data-open]')) {
    if (button.dataset.open === key) return button.focus();
  }
}

// Supervisors or legs: re-rendered only when what they show changed.
function renderLegList(name, entries, render) {
  const shown = JSON.stringify(entries);
  if (shownLegs.get(name) === shown) return;
  shownLegs.set(name, shown);
  replaceKeepingFocus($(name), entries.map(render));
  $(`${name}-empty`).hidden = entries.length > 0;
}

function legItem(leg) {
  return el('li', { class: 'leg-item' },
    el('div', { class: 'leg-head' }, callLink(leg.call_control_id), ' ', badge(leg.status)),
    el('div', { class: 'leg-meta mono' }, `${show(leg.from)} → ${show(leg.to)}`));
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

// ---------- supervision ----------

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
function activeSupervisor(session) {
  const entries = supervisorsOf(session);
  for (let i = entries.length - 1; i >= 0; i -= 1) {
    if (entries[i].status !== 'hangup') return entries[i];
  }
  return null;
}

function supervisionButtons() {
  return [...$('supervisor-group').querySelectorAll('button[data-action]')];
}

function renderSupervision(session) {
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
function timelineItems(state) {
  const entries = [
    ...arrayOf(state.events).map((e) => ({ key: timeKey(e.occurred_at), render: () => eventItem(e) })),
    ...arrayOf(state.actions).map((a) => ({ key: timeKey(a.at), render: () => actionItem(a) })),
    ...arrayOf(state.forwards).map((f) => ({ key: timeKey(f.at), render: () => forwardItem(f) })),
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

// One delivery to a forwarding URL, with a button that sends the event to every URL again.
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

async function onTimelineClick(event) {
  const button = event.target.closest('button[data-replay]');
  if (!button || button.disabled || !current) return;
  const session = current;
  const eventId = button.dataset.replay;
  setBusy(button, true);
  try {
    const result = await api('POST', callPath(session.id, `/forwards/${encodeURIComponent(eventId)}/replay`));
    if (session !== current) return;
    if (result.status === 202) {
      setMessage($('detail-msg'), `${eventId} queued for every forwarding URL again`, 'ok');
      pollOnce(session);
    } else if (result.status !== 401) {
      setMessage($('detail-msg'), `Replay of ${eventId} failed: ${describeErrors(errorsOf(result.json), result.status)}`);
    }
  } catch {
    if (session === current) setMessage($('detail-msg'), `Replay of ${eventId} failed: ${MSG_NETWORK}`);
  } finally {
    setBusy(button, false);
  }
}

// ---------- actions ----------

function siprecStartBody() {
  const body = { siprec_track: value('track') };
  const connector = value('connector').trim();
  if (connector) body.connector_name = connector; // omitted so the server names what is missing
  return body;
}

async function onControlSubmit(event) {
  event.preventDefault(); // form-action is 'none'; never submit natively
  const form = event.target;
  const button = event.submitter ?? form.querySelector('button[data-action]');
  const key = button?.dataset.action;
  if (!key || button.disabled || !current) return;
  if (key === 'leave' || ROLES.includes(key)) return onSupervise(form, button, key);
  const spec = Object.hasOwn(ACTIONS, key) ? ACTIONS[key] : null;
  if (!spec) return;
  const session = current;
  await send(form, button, spec.action, () => api(spec.method ?? 'POST', callPath(session.id, `/actions/${spec.action}`),
    spec.body()), (result) => {
    setMessage(form.querySelector('.group-msg'), `${spec.action} sent (${result.status})`, 'ok');
  });
}

// Sends one request for a control group's button: the button is busy meanwhile, a
// refusal shows next to the fields it names, and the call is read again after success.
async function send(form, button, action, request, onSuccess) {
  const session = current;
  const message = form.querySelector('.group-msg');
  clearFieldErrors(form);
  setMessage(message, '', 'ok');
  const hadFocus = document.activeElement === button;
  setBusy(button, true);
  try {
    const result = await request();
    if (session !== current) return;
    if (result.status >= 200 && result.status < 300) {
      onSuccess(result);
      pollOnce(session); // show the effect now rather than at the next tick
    } else if (result.status !== 401) {
      showActionErrors(form, message, action, result);
    }
  } catch {
    if (session === current) setMessage(message, `${action} failed: ${MSG_NETWORK}`);
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
  const session = current;
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
          entry: { call_control_id: id, to, role: key, status: 'dialing', by: operator?.id },
        };
      }
      setMessage(message, hasId(dialed)
        ? `supervise sent (${result.status}): dialing ${to} as ${key}, leg ${show(dialed)}`
        : `supervise sent (${result.status})`, 'ok');
    });
  } finally {
    session.supervising = null;
    if (session === current) renderSupervision(session);
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

function showFieldError(fieldId, detail) {
  const field = $(fieldId);
  const error = $(`${fieldId}-error`);
  if (!field || !error) return false;
  error.textContent = detail;
  error.hidden = false;
  field.setAttribute('aria-invalid', 'true');
  field.setAttribute('aria-describedby', error.id);
  return true;
}

function clearFieldErrors(form) {
  for (const error of form.querySelectorAll('.field-error')) {
    error.textContent = '';
    error.hidden = true;
    const field = $(error.id.replace(/-error$/, ''));
    field?.removeAttribute('aria-invalid');
    field?.removeAttribute('aria-describedby');
  }
}

// ---------- wiring ----------

function onDetailClick(event) {
  const button = event.target.closest('button[data-open]');
  if (!button || !current) return;
  const id = button.dataset.open;
  if (id && id !== current.id) openCall(id);
}

// Enter in the Supervisor address would submit with the form's first button, Barge:
// the operator picks the role with a button instead.
function onSupervisorAddressKeydown(event) {
  if (event.key === 'Enter') event.preventDefault();
}

function onDetailKeydown(event) {
  if (event.key === 'Escape' && current && !wide.matches) {
    event.preventDefault();
    goBack();
  }
}

function init() {
  $('signin-form').addEventListener('submit', onSignIn);
  $('sign-out').addEventListener('click', onSignOut);
  $('filter-status').addEventListener('change', () => { resetList(); refreshList(); });
  $('search').addEventListener('input', applySearch);
  $('load-more').addEventListener('click', loadMore);
  $('back').addEventListener('click', goBack);
  $('detail').addEventListener('keydown', onDetailKeydown);
  $('controls').addEventListener('submit', onControlSubmit);
  $('timeline').addEventListener('click', onTimelineClick);
  $('detail-body').addEventListener('click', onDetailClick);
  $('supervisor-address').value = readSupervisorAddress();
  $('supervisor-address').addEventListener('keydown', onSupervisorAddressKeydown);
  $('supervisor-address').addEventListener('input', () => storeSupervisorAddress(value('supervisor-address').trim()));
  start();
}

init();
