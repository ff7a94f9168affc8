// Signing in and out: through Cloudflare Access, or with the admin token.

import { state, storeToken } from './state.js';
import { $, setMessage, setBusy } from './dom.js';
import { api, errorsOf, describeErrors, notConfigured, MSG_NETWORK, MSG_NOT_CONFIGURED } from './api.js';
import { startListRefresh, stopListRefresh, resetList } from './list.js';
import { closeCall } from './call.js';
import { closeDashboard } from './dashboard.js';

const MSG_UNAUTHORIZED = 'That admin token was not accepted. Check ADMIN_TOKEN and try again.';
const MSG_ACCESS_ENDED = 'Cloudflare Access no longer signs this page in. '
  + 'Reload the page to sign in through Access again, or use the admin token.';
const MSG_ACCESS_UNAVAILABLE = 'Cloudflare Access could not be checked (the worker could not fetch its keys). '
  + 'Reload to try again, or use the admin token.';
// Where Cloudflare Access ends its session for the application.
const ACCESS_LOGOUT = '/cdn-cgi/access/logout';

export function unauthorizedMessage() {
  return state.operator?.via === 'access' ? MSG_ACCESS_ENDED : MSG_UNAUTHORIZED;
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
  $('views').hidden = !signedIn;
  $('signed-in-as').hidden = !signedIn;
  $('operator-id').textContent = signedIn ? state.operator.id : '';
  setMessage($('signin-error'), message);
  if (signedIn) startListRefresh();
  else $('admin-token').focus();
}

// On load: behind Cloudflare Access, GET /operator with no token answers who is signed
// in, and the page needs no token. Otherwise a token kept by this tab is tried, and
// failing that the token field is shown.
export async function start() {
  let message = '';
  try {
    const { status, json } = await api('GET', '/operator', undefined, { token: '' });
    const found = status === 200 ? operatorOf(json) : null;
    if (found) {
      state.operator = found;
      // Access signs this tab in; a token kept from before is not needed.
      state.token = null;
      storeToken(null);
      showView(true);
      return;
    }
    if (notConfigured(status, json)) message = MSG_NOT_CONFIGURED;
    else if (status === 503 && errorsOf(json).some((error) => error.code === 'access_unavailable')) {
      message = MSG_ACCESS_UNAVAILABLE;
    }
    // A kept admin token may still work while Access could not be checked.
    if (state.token && !notConfigured(status, json)) {
      const kept = await api('GET', '/operator', undefined, { token: state.token });
      const again = kept.status === 200 ? operatorOf(kept.json) : null;
      if (again) {
        state.operator = again;
        message = '';
        showView(true);
        return;
      }
      if (kept.status === 401) {
        state.token = null;
        storeToken(null);
        message = MSG_UNAUTHORIZED;
      }
    }
  } catch {
    message = MSG_NETWORK;
  }
  showView(false, message);
}

export async function onSignIn(event) {
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
      state.operator = found;
      state.token = candidate;
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
export function onSignOut() {
  if (state.operator?.via === 'access') window.location.assign(ACCESS_LOGOUT);
  else signOut();
}

export function signOut(message = '') {
  state.operator = null;
  state.token = null;
  storeToken(null);
  stopListRefresh();
  closeDashboard();
  closeCall();
  resetList();
  $('console').dataset.view = 'list';
  showView(false, message);
}
