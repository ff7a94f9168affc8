// The worker's API: requests with the operator's credentials, and reading its errors.

import { state } from './state.js';
import { arrayOf, show } from './dom.js';

export const MSG_NOT_CONFIGURED = 'The worker has no ADMIN_TOKEN configured (nor Cloudflare Access). '
  + 'Set it (wrangler secret put ADMIN_TOKEN) and try again.';
export const MSG_NETWORK = 'Could not reach the worker. Check your connection and try again.';

// What a 401 on a signed-in request does (sign out). Main sets it, so that this module
// and the call view need not import sign-in, which imports them.
let onUnauthorized = () => {};

export function setUnauthorizedHandler(handler) {
  onUnauthorized = handler;
}

export function unauthorized() {
  onUnauthorized();
}

export function authHeaders(bearer = state.token) {
  return bearer ? { Authorization: `Bearer ${bearer}` } : {};
}

// Returns { status, json }; throws only on network failure. A 401 on a signed-in request signs out.
// `token: ''` sends no Authorization. Same-origin credentials: behind Cloudflare Access its
// cookie goes along (Access adds the Cf-Access-Jwt-Assertion header itself).
export async function api(method, path, body, { token: override, signal } = {}) {
  const headers = { Accept: 'application/json', ...authHeaders(override ?? state.token) };
  const init = { method, headers, cache: 'no-store', credentials: 'same-origin', signal };
  if (body !== undefined) {
    headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  const response = await fetch(path, init);
  let json = null;
  try { json = JSON.parse(await response.text()); } catch { /* empty or non-JSON: status alone tells */ }
  if (response.status === 401 && override === undefined && state.operator) unauthorized();
  return { status: response.status, json };
}

export function callPath(id, suffix = '') {
  return `/calls/${encodeURIComponent(id)}${suffix}`;
}

export function errorsOf(json) {
  return arrayOf(json?.errors);
}

function describeError(error) {
  const title = error.title == null ? '' : show(error.title);
  const detail = error.detail == null ? '' : show(error.detail);
  if (title && detail && title !== detail) return `${title}: ${detail}`;
  return detail || title || show(error.code, '');
}

// A 503 is "no ADMIN_TOKEN" only when the worker says so; storage outages are 503 too.
export function notConfigured(status, json) {
  return status === 503 && errorsOf(json).some((error) => error.code === 'admin_token_missing');
}

export function describeErrors(errors, status) {
  const parts = errors.map(describeError).filter(Boolean);
  return parts.length ? parts.join('; ') : `HTTP ${status}`;
}
