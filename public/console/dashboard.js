// The Dashboard: the live figures and the per-minute charts of GET /stats, refreshed
// while it is open. Each chart's numbers are also in a visually hidden table.

import { state } from './state.js';
import { $, el, arrayOf, setMessage, timeEl } from './dom.js';
import { api, errorsOf, describeErrors, notConfigured, MSG_NOT_CONFIGURED } from './api.js';
import { startListRefresh, stopListRefresh } from './list.js';
import { minuteChart } from './charts.js';

const REFRESH_MS = 5000;
const ROLES = ['barge', 'whisper', 'monitor'];
const STATUSES = ['initiated', 'answered', 'bridged'];

const hourMinute = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit' });
// Each chart's uPlot, made on its first data, and the rows it shows (as JSON), by figure id.
const plots = new Map();
const shownRows = new Map();

// Each chart: its figure, the series it draws and, per minute, the values of its table's
// columns (after the minute).
const CHARTS = [
  {
    id: 'chart-calls',
    series: [{ label: 'Started', color: 1, bars: true }, { label: 'Ended', color: 2, bars: true }],
    values: (m) => [count(m.calls_started), count(m.calls_ended)],
    total: (t) => `${count(t.calls_started)} started, ${count(t.calls_ended)} ended`,
  },
  {
    id: 'chart-actions',
    series: [{ label: 'Succeeded', color: 'ok', bars: true }, { label: 'Failed', color: 'failed', bars: true }],
    values: (m) => [count(m.actions?.succeeded), count(m.actions?.failed)],
    total: (t) => `${count(t.actions?.succeeded)} succeeded, ${count(t.actions?.failed)} failed`,
  },
  {
    id: 'chart-reaction',
    series: [{ label: 'p50', color: 1 }, { label: 'p95', color: 2 }],
    unit: ' ms',
    counts: false,
    // The table also says how many reactions each minute's percentiles are over.
    values: (m) => [millis(m.reaction_ms?.p50), millis(m.reaction_ms?.p95), count(m.reaction_ms?.count)],
    total: (t) => {
      const r = t.reaction_ms ?? {};
      return count(r.count) === 0 ? 'no rule reacted'
        : `${count(r.count)} reactions, p50 ${show(millis(r.p50))} ms, p95 ${show(millis(r.p95))} ms`;
    },
  },
];

function count(v) {
  return Number.isFinite(v) ? v : 0;
}

function millis(v) {
  return Number.isFinite(v) ? v : null;
}

function show(v) {
  return v == null ? '—' : String(v);
}

// The Dashboard takes the calls' place; the call list stops refreshing meanwhile (an open
// call stays open behind it).
export function openDashboard() {
  const { dashboard } = state;
  if (dashboard.open) return;
  dashboard.open = true;
  stopListRefresh();
  showView(true);
  refreshDashboard();
  dashboard.timer = setInterval(() => {
    if (!document.hidden) refreshDashboard();
  }, REFRESH_MS);
}

export function closeDashboard() {
  const { dashboard } = state;
  if (!dashboard.open) return;
  dashboard.open = false;
  dashboard.generation += 1;
  clearInterval(dashboard.timer);
  showView(false);
}

// Back to the calls from the Dashboard.
export function showCalls() {
  if (!state.dashboard.open) return;
  closeDashboard();
  startListRefresh();
}

function showView(dashboardShown) {
  $('dashboard').hidden = !dashboardShown;
  $('console').hidden = dashboardShown;
  for (const [id, current] of [['show-calls', !dashboardShown], ['show-dashboard', dashboardShown]]) {
    if (current) $(id).setAttribute('aria-current', 'page');
    else $(id).removeAttribute('aria-current');
  }
}

// A new window asks at once; an answer for the old one is dropped.
export function onWindowChange() {
  state.dashboard.generation += 1;
  refreshDashboard();
}

export async function refreshDashboard() {
  const { dashboard } = state;
  const generation = dashboard.generation;
  if (!dashboard.open || !state.operator || dashboard.inFlight === generation) return;
  dashboard.inFlight = generation;
  const minutes = $('dashboard-minutes').value;
  try {
    const { status, json } = await api('GET', `/stats?minutes=${encodeURIComponent(minutes)}`);
    if (generation !== dashboard.generation || !dashboard.open) return;
    if (status === 200 && json && typeof json === 'object') {
      setMessage($('dashboard-msg'), '');
      renderStats(json);
    } else if (notConfigured(status, json)) {
      setMessage($('dashboard-msg'), MSG_NOT_CONFIGURED);
    } else if (status !== 401) {
      setMessage($('dashboard-msg'), `Could not load the figures: ${describeErrors(errorsOf(json), status)}`);
    }
  } catch {
    if (generation === dashboard.generation) {
      setMessage($('dashboard-msg'), 'Offline: could not reach the worker. Retrying…');
    }
  } finally {
    if (dashboard.inFlight === generation) dashboard.inFlight = null;
  }
}

function renderStats(stats) {
  const live = stats.live ?? {};
  const supervisors = ROLES.map((role) => [role, count(live.supervisors?.[role])]);
  setFigure('figure-calls', count(live.calls), splitOf(statusesOf(live.by_status)));
  setFigure('figure-supervisors', supervisors.reduce((sum, [, n]) => sum + n, 0), splitOf(supervisors));
  setFigure('figure-recording', count(live.recording));
  setFigure('figure-suppression', count(live.noise_suppression));
  $('dashboard-updated').replaceChildren('Updated ', timeEl(stats.at));
  const minutes = arrayOf(stats.minutes)
    .map((m) => ({ m, at: Date.parse(String(m.minute ?? '')) }))
    .filter(({ at }) => !Number.isNaN(at));
  const span = Number($('dashboard-minutes').value);
  for (const chart of CHARTS) renderChart(chart, minutes, stats.totals, span);
}

// The known statuses first, then any other the worker names.
function statusesOf(byStatus) {
  const entries = byStatus && typeof byStatus === 'object' ? Object.keys(byStatus) : [];
  const names = [...STATUSES, ...entries.filter((name) => !STATUSES.includes(name)).sort()];
  return names.map((name) => [name, count(byStatus?.[name])]);
}

function splitOf(entries) {
  return entries.map(([name, n]) => `${name} ${n}`).join(' · ');
}

function setFigure(id, number, split) {
  const text = String(number);
  if ($(id).textContent !== text) $(id).textContent = text;
  const detail = $(`${id}-split`);
  if (detail && detail.textContent !== split) detail.textContent = split;
}

function renderChart(chart, minutes, totals, span) {
  const figure = $(chart.id);
  const total = totals && typeof totals === 'object' ? chart.total(totals) : '';
  figure.querySelector('.chart-total').textContent = total && `Last ${spanName(span)}: ${total}`;
  const rows = minutes.map(({ m, at }) => ({ at, values: chart.values(m) }));
  const shown = JSON.stringify(rows);
  if (shownRows.get(chart.id) === shown) return;
  shownRows.set(chart.id, shown);
  if (!plots.has(chart.id)) plots.set(chart.id, minuteChart(figure.querySelector('.chart-plot'), chart));
  // The chart draws the series; the table has every value (the reaction's count too).
  const columns = chart.series.map((_, i) => rows.map((row) => row.values[i]));
  plots.get(chart.id).draw([rows.map((row) => row.at / 1000), ...columns]);
  figure.querySelector('.chart-rows').replaceChildren(...rows.map(tableRow));
}

function tableRow({ at, values }) {
  const iso = new Date(at).toISOString();
  return el('tr', {},
    el('th', { scope: 'row' }, el('time', { datetime: iso }, hourMinute.format(at))),
    values.map((v) => el('td', {}, show(v))));
}

function spanName(minutes) {
  if (minutes % 60 === 0) return minutes === 60 ? 'hour' : `${minutes / 60} hours`;
  return `${minutes} minutes`;
}
