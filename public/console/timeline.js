// The call timeline: the open call and its other legs (its supervisor legs, the other
// legs of its session, the call it supervises) as lanes on one time axis, with a mark for
// each event and action. The other legs' states come from GET /calls/{id}, fetched again
// when the open call changes, at most every few seconds.

import { state } from './state.js';
import { $, el, show, arrayOf, hasId, timeEl, badge } from './dom.js';
import { api, callPath } from './api.js';
import { laneChart } from './charts.js';

const LEGS_REFRESH_MS = 3000;

// One chart for whichever call is open; a call with other lanes rebuilds it.
let chart = null;

// The open call's lane first, then the call it supervises, its supervisor legs and the
// other legs of its session: [{ id, label, entry (what the open call's state says of it) }].
function lanesOf(session) {
  const callState = session.state ?? {};
  const lanes = [{ id: session.id, label: 'this call', entry: null }];
  const add = (id, label, entry) => {
    if (hasId(id) && !lanes.some((lane) => lane.id === String(id))) lanes.push({ id: String(id), label, entry });
  };
  add(callState.supervising, 'supervised', null);
  const numbered = (list, name) => list.forEach((entry, i) => {
    add(entry.call_control_id, list.length > 1 ? `${name} ${i + 1}` : name, entry);
  });
  numbered(arrayOf(callState.supervisors).filter((entry) => hasId(entry.call_control_id)), 'supervisor');
  numbered(arrayOf(callState.legs).filter((entry) => hasId(entry.call_control_id)), 'leg');
  return lanes;
}

function actionKind(status) {
  if (status === 'succeeded') return 'ok';
  return status === 'failed' ? 'failed' : 'pending';
}

// A call's events and actions with a readable time, oldest first.
function marksOf(callState) {
  const marks = [
    ...arrayOf(callState?.events).map((e) => ({ raw: e.occurred_at, kind: 'event', text: `event ${show(e.event_type)}` })),
    ...arrayOf(callState?.actions).map((a) => ({
      raw: a.at, kind: actionKind(a.status), text: `action ${show(a.action)}, ${show(a.status, 'unknown')}`,
    })),
  ];
  return marks
    .map((mark) => ({ ...mark, ms: Date.parse(String(mark.raw ?? '')) }))
    .filter((mark) => !Number.isNaN(mark.ms))
    .sort((x, y) => x.ms - y.ms);
}

export function resetCallTimeline() {
  $('call-timeline').hidden = true;
  $('lane-key').replaceChildren();
  $('lane-marks').replaceChildren();
}

export function closeCallTimeline(session) {
  clearTimeout(session.lanes.timer);
}

// Draws the open call's timeline with the other legs' states fetched so far, and has
// them fetched again.
export function renderCallTimeline(session) {
  draw(session);
  scheduleFetch(session);
}

function draw(session) {
  const lanes = lanesOf(session);
  const states = lanes.map((lane, l) => (l === 0 ? session.state : session.lanes.states.get(lane.id)));
  const marks = lanes.map((_, l) => marksOf(states[l]));
  $('call-timeline').hidden = false;
  chart ??= laneChart($('call-timeline').querySelector('.chart-plot'));
  chart.drawLanes(lanes, marks.flatMap((own, l) => own.map((mark) => ({ lane: l, at: mark.ms / 1000, kind: mark.kind }))));
  $('lane-key').replaceChildren(...lanes.map((lane, l) => laneItem(lane, states[l], marks[l].length)));
  $('lane-marks').replaceChildren(...lanes.flatMap((lane, l) => markRows(lane, marks[l])));
}

function laneItem(lane, laneState, count) {
  const status = laneState?.status ?? lane.entry?.status;
  return el('li', { class: 'lane', 'data-lane': lane.id },
    el('span', { class: 'lane-label' }, lane.label), ' ',
    lane.entry?.role == null ? null : [el('span', { class: 'role-tag' }, show(lane.entry.role)), ' '],
    el('code', { class: 'mono lane-id' }, lane.id), ' ',
    status == null ? null : [badge(status), ' '],
    el('span', { class: 'subtle' }, `${count} mark${count === 1 ? '' : 's'}`));
}

// The text alternative's rows: each mark by its lane's call_control_id, and a lane
// with no marks once, so that every lane is named.
function markRows(lane, marks) {
  const head = () => el('th', { scope: 'row', class: 'mono' }, lane.id);
  if (!marks.length) return [el('tr', { 'data-lane': lane.id }, head(), el('td', {}, '—'), el('td', {}, 'no events or actions yet'))];
  return marks.map((mark) => el('tr', { 'data-lane': lane.id, 'data-kind': mark.kind },
    head(), el('td', {}, timeEl(mark.raw)), el('td', {}, mark.text)));
}

// One fetch of the other legs at a time, the next no sooner than LEGS_REFRESH_MS after
// the last began; a change meanwhile asks for one more.
function scheduleFetch(session) {
  const own = session.lanes;
  if (session.closed || own.timer) return;
  if (own.busy) {
    own.again = true;
    return;
  }
  own.timer = setTimeout(() => {
    own.timer = 0;
    fetchLegs(session);
  }, Math.max(0, own.fetchedAt + LEGS_REFRESH_MS - Date.now()));
}

async function fetchLegs(session) {
  const own = session.lanes;
  const others = lanesOf(session).slice(1);
  if (session.closed || !others.length) return;
  own.busy = true;
  own.fetchedAt = Date.now();
  try {
    // A leg never seen (404) has no marks; any other failure keeps what was fetched before.
    const answers = await Promise.all(others.map(async ({ id }) => {
      try {
        const { status, json } = await api('GET', callPath(id));
        if (status === 200 && json && typeof json === 'object') return [id, json];
        return status === 404 ? [id, null] : null;
      } catch {
        return null;
      }
    }));
    if (session.closed || session !== state.current) return;
    for (const [id, legState] of answers.filter(Boolean)) own.states.set(id, legState);
    draw(session);
  } finally {
    own.busy = false;
    if (own.again) {
      own.again = false;
      scheduleFetch(session);
    }
  }
}
