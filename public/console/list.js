// The list of calls: refreshed while signed in, paged with "Load more", filtered by the search.

import { state } from './state.js';
import { $, value, el, show, arrayOf, timeEl, statusKind, setMessage, setBusy, dateTimeFormat } from './dom.js';
import { api, errorsOf, describeErrors, notConfigured, MSG_NETWORK, MSG_NOT_CONFIGURED } from './api.js';
import { openCall, markSelected } from './call.js';

const PAGE_SIZE = 50;
// Each refresh is a KV list operation (billed like a write); it pauses while the tab is hidden.
const LIST_REFRESH_MS = 2000;

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

export function startListRefresh() {
  stopListRefresh();
  refreshList();
  state.list.timer = setInterval(() => {
    if (!document.hidden) refreshList();
  }, LIST_REFRESH_MS);
}

export function stopListRefresh() {
  clearInterval(state.list.timer);
}

export function resetList() {
  state.list.generation += 1;
  Object.assign(state.list, { first: [], extra: [], cursor: null, moreLoaded: false, inFlight: null });
  state.rows.clear();
  $('call-list').replaceChildren();
  setMessage($('list-msg'), '');
  $('list-empty').hidden = true;
  $('load-more').hidden = true;
}

export async function refreshList() {
  const { list } = state;
  const generation = list.generation;
  if (!state.operator || list.inFlight === generation) return;
  list.inFlight = generation;
  try {
    const { status, json } = await api('GET', listPath());
    if (generation !== list.generation || !state.operator) return;
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
  const { list } = state;
  const fresh = new Set(first.map((call) => String(call.call_control_id)));
  const extra = new Set(list.extra.map((call) => String(call.call_control_id)));
  const pushed = list.first.filter((call) => {
    const id = String(call.call_control_id);
    return !fresh.has(id) && !extra.has(id);
  });
  list.extra = [...pushed, ...list.extra];
}

export async function loadMore() {
  const { list } = state;
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
  for (const call of [...state.list.first, ...state.list.extra]) {
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
  for (const [id, row] of state.rows) {
    if (!calls.has(id)) {
      row.li.remove();
      state.rows.delete(id);
    }
  }
  let index = 0;
  for (const [id, call] of calls) {
    const row = state.rows.get(id) ?? createRow(id);
    updateRow(row, call);
    const at = ul.children[index] ?? null;
    if (at !== row.li) ul.insertBefore(row.li, at);
    index += 1;
  }
  applySearch();
  $('load-more').hidden = !state.list.cursor;
}

function createRow(id) {
  const button = el('button', { type: 'button', class: 'call-id mono' }, id);
  button.addEventListener('click', () => openCall(id));
  const parties = el('span', { class: 'parties' });
  const status = el('span', { class: 'badge' });
  const started = el('span', { class: 'started subtle' });
  const li = el('li', { class: 'call-row' }, button, el('div', { class: 'call-meta' }, parties, status, started));
  const row = { id, li, button, parties, status, started, haystack: '' };
  state.rows.set(id, row);
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

export function applySearch() {
  const query = value('search').trim().toLowerCase();
  let visible = 0;
  for (const row of state.rows.values()) {
    row.li.hidden = Boolean(query) && !row.haystack.includes(query);
    if (!row.li.hidden) visible += 1;
  }
  const empty = $('list-empty');
  empty.hidden = visible > 0;
  empty.textContent = state.rows.size === 0 ? 'No calls.' : 'No loaded calls match the search.';
}
