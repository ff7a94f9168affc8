// The console's one shared state, which every module reads and writes, and what of it
// the browser keeps.

const TOKEN_KEY = 'telnyx-edge.admin-token';
// The supervisor's address is no secret: kept across tabs and visits (local storage).
const SUPERVISOR_KEY = 'telnyx-edge.supervisor-address';

export const state = {
  token: readStoredToken(),
  // Who GET /operator says is signed in, { id, via } (via is "access" or "admin-token");
  // null while signed out or before it answered.
  operator: null,
  // `first` is re-fetched every tick; `extra` holds pages added with "Load more".
  list: { first: [], extra: [], cursor: null, moreLoaded: false, generation: 0, inFlight: null, timer: 0 },
  rows: new Map(),
  // The open call's session: { id, ctrl, pollTimer, retryTimer, pollBusy, closed, updatedAt,
  // state (the newest applied), pendingLeg (a supervisor leg dialed here, until the state has it),
  // supervising (the Barge/Whisper/Monitor/Leave button whose request is out, or null),
  // lanes (the call timeline's other legs: their states, fetched at most every few seconds) }.
  current: null,
  // What the open call's supervisors and legs lists show, as JSON: unchanged lists are kept.
  shownLegs: new Map(),
  // The Dashboard: whether it is shown, its refresh timer, and which refresh is in flight.
  dashboard: { open: false, timer: 0, generation: 0, inFlight: null },
};

// Storage may be disabled; the in-memory token still works for this page then.
function readStoredToken() {
  try { return sessionStorage.getItem(TOKEN_KEY); } catch { return null; }
}

export function storeToken(next) {
  try {
    if (next) sessionStorage.setItem(TOKEN_KEY, next);
    else sessionStorage.removeItem(TOKEN_KEY);
  } catch { /* see above */ }
}

export function readSupervisorAddress() {
  try { return localStorage.getItem(SUPERVISOR_KEY) ?? ''; } catch { return ''; }
}

export function storeSupervisorAddress(address) {
  try {
    if (address) localStorage.setItem(SUPERVISOR_KEY, address);
    else localStorage.removeItem(SUPERVISOR_KEY);
  } catch { /* storage disabled: the field keeps it for this page */ }
}
