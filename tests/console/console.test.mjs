// The operator console in a real browser (Debian's Chromium through playwright-core),
// against the release build under `wrangler dev` and the fake Telnyx API. Started by
// tests/console.rs, which sends the signed webhooks this script asks for and checks
// afterwards what reached the fake Telnyx. Two modes, one worker each:
//
// - MODE=admin-token (the default): the page signs in with ADMIN_TOKEN typed into it,
//   and every control is exercised.
// - MODE=access: the worker has ACCESS_TEAM_DOMAIN and ACCESS_AUD and no ADMIN_TOKEN;
//   the browser sends ACCESS_JWT in Cf-Access-Jwt-Assertion with every request, as
//   Cloudflare Access would, and the page must sign in by itself.
//
// The admin-token run ends with the Dashboard and a call's timeline, checked against what
// the run itself did: the calls it made, the webhooks it sent and the actions it took.
//
// Environment: MODE, BASE_URL (the worker), ADMIN_TOKEN or ACCESS_JWT and ACCESS_EMAIL,
// SENDER_URL (POST a webhook to send), CHROMIUM_BIN, SCREENSHOT_DIR. Prints one line per
// step; exits non-zero on the first failure.

import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium } from 'playwright-core';

const env = (name) => {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set`);
  return value;
};
const MODE = process.env.MODE ?? 'admin-token';
if (MODE !== 'admin-token' && MODE !== 'access') throw new Error(`MODE is ${MODE}: admin-token or access`);
const BASE_URL = env('BASE_URL');
const ADMIN_TOKEN = MODE === 'admin-token' ? env('ADMIN_TOKEN') : null;
const ACCESS_JWT = MODE === 'access' ? env('ACCESS_JWT') : null;
const ACCESS_EMAIL = MODE === 'access' ? env('ACCESS_EMAIL') : null;
// How this script's own requests to the worker authenticate, as the page does in the mode.
const AUTH = MODE === 'access' ? { 'cf-access-jwt-assertion': ACCESS_JWT } : { Authorization: `Bearer ${ADMIN_TOKEN}` };
const SENDER_URL = env('SENDER_URL');
const SCREENSHOT_DIR = env('SCREENSHOT_DIR');
const CHROMIUM_BIN = env('CHROMIUM_BIN');

const XSS_FROM = '<img src=x onerror=alert(1)>';
const CALL = 'v3:console-e2e-call';
const LIVE_WITHIN_MS = 1000;
// A supervisor leg's entry, and another leg's, show on a call within a few seconds.
const LEGS_WITHIN_MS = 8000;
const SUPERVISOR = 'sip:supervisor@pbx.example.com';
// Two calls of one session (the legs of a transfer, say).
const SESSION = 'console-e2e-session';
const LEG_A = 'v3:console-e2e-leg-a';
const LEG_B = 'v3:console-e2e-leg-b';
// The Dashboard's and the timeline's calls, sent with times of now: DASH and DASH_B are
// one session, and a supervisor leg is dialed onto DASH.
const DASH = 'v3:console-e2e-dash';
const DASH_B = 'v3:console-e2e-dash-b';
const DASH_SESSION = 'console-e2e-dash-session';
// The code of the refusal the fake Telnyx answers when asked to (tests/console.rs).
const CALL_ENDED = '90018';
// The Dashboard refreshes every 5 s and counts an event within 5 s of its acceptance.
const DASHBOARD_WITHIN_MS = 15000;
const MINUTE_MS = 60000;

let step = 0;
function ok(what) {
  step += 1;
  console.log(`console: ${MODE}: ok ${step} - ${what}`);
}

function check(condition, what) {
  if (!condition) throw new Error(`check failed: ${what}`);
}

/// Polls until `probe` returns a truthy value, or fails after `timeout` ms.
async function eventually(probe, timeout, what) {
  const deadline = Date.now() + timeout;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeout} ms: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

// Every webhook the worker accepted in this run, with the time around its delivery: the
// Dashboard's per-minute figures are checked against it.
const delivered = [];

/// Asks the Rust side to sign and deliver one webhook of `call`; returns the worker's answer.
/// Its occurred_at is `second` seconds into a test call, or `occurredAt` when given.
async function deliverFor(call, event_type, event_id, second, payload = {}, occurredAt = undefined) {
  const from = Date.now();
  const response = await fetch(SENDER_URL, {
    method: 'POST',
    body: JSON.stringify({ event_type, event_id, call_control_id: call, second, payload, occurred_at: occurredAt }),
  });
  const answer = await response.json();
  check(answer.status === 200, `${event_type} of ${call} accepted: ${JSON.stringify(answer)}`);
  delivered.push({ call, event_type, from, to: Date.now() });
  return answer;
}

const deliver = (...args) => deliverFor(CALL, ...args);
const deliverNow = (call, event_type, event_id, payload) =>
  deliverFor(call, event_type, event_id, 1, payload, new Date().toISOString());

/// Every request the fake Telnyx received so far: [{method, path, body}].
async function telnyxRequests() {
  const response = await fetch(SENDER_URL, { method: 'POST', body: JSON.stringify({ telnyx_requests: true }) });
  return response.json();
}

/// The requests the fake Telnyx received since `mark` (a count from telnyxRequests),
/// each as "METHOD path" with its body less the command_id the worker adds.
async function telnyxSince(mark) {
  return (await telnyxRequests()).slice(mark).map(({ method, path, body }) => {
    const { command_id: _, ...rest } = body ?? {};
    return { line: `${method} ${path}`, body: rest };
  });
}

/// The call's state as the worker's API answers it, for failure messages.
async function stateOf(call) {
  const response = await fetch(`${BASE_URL}/calls/${encodeURIComponent(call)}`, { headers: AUTH });
  return response.json();
}

/// A full-page screenshot (or the `clip` of one) into SCREENSHOT_DIR. Scrolled to the
/// top first: the sticky call list would otherwise be drawn where the scroll left it.
async function screenshot(page, name, clip) {
  await page.evaluate(() => window.scrollTo(0, 0));
  await page.screenshot({ path: join(SCREENSHOT_DIR, `${name}.png`), fullPage: true, ...(clip ? { clip } : {}) });
}

/// The page's full width from the top of `from` to the bottom of `to`, in page
/// coordinates, with a margin: a screenshot's clip.
async function pageAreaOf(page, from, to) {
  return page.evaluate(([first, last]) => {
    const top = document.querySelector(first).getBoundingClientRect().top + window.scrollY;
    const bottom = document.querySelector(last).getBoundingClientRect().bottom + window.scrollY;
    const y = Math.max(0, Math.floor(top) - 12);
    return { x: 0, y, width: document.documentElement.clientWidth, height: Math.ceil(bottom) + 12 - y };
  }, [from, to]);
}

const actionUrl = (call, action) => `/v2/calls/${encodeURIComponent(call)}/actions/${action}`;
const same = (a, b) => JSON.stringify(a) === JSON.stringify(b);

async function main() {
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
  const browser = await chromium.launch({
    executablePath: CHROMIUM_BIN,
    headless: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
  try {
    await (MODE === 'access' ? runAccess : run)(browser);
  } finally {
    await browser.close();
  }
}

async function run(browser) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 860 } });
  const page = await context.newPage();
  const problems = [];
  const dialogs = [];
  page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
  page.on('console', (message) => {
    // A refused request logs "Failed to load resource"; the wrong-token step makes one.
    if (message.type() === 'error' && !message.text().startsWith('Failed to load resource')) {
      problems.push(`console error: ${message.text()}`);
    }
  });
  page.on('dialog', async (dialog) => {
    dialogs.push(dialog.message());
    await dialog.dismiss();
  });
  const requestedUrls = [];
  page.on('request', (request) => requestedUrls.push(request.url()));
  const asked = recordActions(page);

  // --- served with a strict policy --------------------------------------------------
  const served = await page.goto(`${BASE_URL}/console`);
  check(served.status() === 200, `GET /console is 200, got ${served.status()}`);
  const headers = served.headers();
  const csp = headers['content-security-policy'] ?? '';
  check(csp.includes("script-src 'self'") && !csp.includes('unsafe-inline'), `CSP: ${csp}`);
  check(headers['x-content-type-options'] === 'nosniff', 'X-Content-Type-Options: nosniff');
  ok('the console is served with a strict Content-Security-Policy and nosniff');

  // --- sign-in ------------------------------------------------------------------------
  const token = page.getByLabel('Admin token', { exact: true });
  const signIn = page.getByRole('button', { name: 'Sign in', exact: true });
  await token.fill('not-the-token');
  await signIn.click();
  const alert = page.getByRole('alert');
  await eventually(async () => /not accepted/i.test(await alert.innerText()), 5000,
    'a wrong token gets a clear message');
  check(await page.evaluate(() => sessionStorage.length) === 0, 'a wrong token is not kept');
  ok('a wrong token gets a clear message and is not kept');

  await token.fill(ADMIN_TOKEN);
  await signIn.click();
  await page.getByRole('heading', { name: 'Calls', exact: true }).waitFor({ timeout: 5000 });
  const kept = await page.evaluate(() => Object.values({ ...sessionStorage }));
  check(kept.includes(ADMIN_TOKEN), 'the token is kept in sessionStorage');
  const signedInAs = page.locator('#signed-in-as');
  await eventually(async () => (await signedInAs.isVisible())
    && (await signedInAs.innerText()) === 'Signed in as admin-token', 5000, 'the header says who signed in');
  ok('the admin token signs in, is kept in sessionStorage, and the header says "Signed in as admin-token"');

  // --- a new call appears without a reload --------------------------------------------
  await deliver('call.initiated', 'console-e2e-initiated', 1, { from: XSS_FROM });
  const callButton = page.getByRole('button', { name: CALL, exact: true });
  await callButton.waitFor({ timeout: 12000 });
  ok('a new call appears in the list without a reload');
  await screenshot(page, 'desktop-list');

  // --- detail, escaping ---------------------------------------------------------------
  await callButton.click();
  await page.getByRole('heading', { name: CALL, exact: true }).waitFor({ timeout: 5000 });
  await page.locator('#facts').getByText(XSS_FROM, { exact: true }).waitFor({ timeout: 5000 });
  await page.locator('#call-list').getByText(XSS_FROM).waitFor({ timeout: 5000 });
  check(await page.locator('img').count() === 0, 'no <img> element was created');
  check(dialogs.length === 0, `no script ran: ${dialogs.join(', ')}`);
  ok('an attacker-controlled from is shown literally, as text');

  const linkState = page.locator('#link-state');
  await eventually(async () => (await linkState.innerText()) === 'Live', 5000,
    'the open call streams its state');
  ok('the open call is streamed from its object (Server-Sent Events)');

  // --- a new event within a second -----------------------------------------------------
  const timeline = page.locator('#timeline');
  const sentAt = Date.now();
  await deliver('call.answered', 'console-e2e-answered', 2);
  await timeline.getByText('call.answered').first().waitFor({ timeout: LIVE_WITHIN_MS });
  const shownAfter = Date.now() - sentAt;
  ok(`call.answered shows in the timeline ${shownAfter} ms after it was sent`);

  // --- forwards --------------------------------------------------------------------------
  const answeredForwards = timeline.locator('li[data-type="forward"]', { hasText: 'console-e2e-answered' });
  await eventually(async () => (await answeredForwards.filter({ hasText: 'delivered' }).count()) === 1, 5000,
    'the forward of call.answered shows as delivered');
  await page.getByRole('button', { name: 'Replay console-e2e-answered', exact: true }).click();
  await eventually(async () => (await answeredForwards.filter({ hasText: 'delivered' }).count()) === 2, 5000,
    'the replay shows as a second delivery');
  ok('forwards show in the timeline, and Replay delivers the event again');

  // --- supervision: the address is remembered -----------------------------------------
  const address = page.getByLabel('Supervisor address', { exact: true });
  const supervisorGroup = page.locator('#supervisor-group');
  const groupMsg = supervisorGroup.locator('.group-msg');
  const mode = page.locator('#supervisor-mode');
  const button = (name) => page.getByRole('button', { name, exact: true });
  const pageArea = (from, to) => pageAreaOf(page, from, to);
  check(await button('Leave').isDisabled(), 'Leave is disabled while the call has no supervisor leg');
  check(/dial/i.test(await mode.innerText()), `the page says the buttons dial: ${await mode.innerText()}`);
  await address.fill(SUPERVISOR);
  await page.reload();
  await callButton.waitFor({ timeout: 12000 });
  check(await address.inputValue() === SUPERVISOR, `the address is remembered: ${await address.inputValue()}`);
  await callButton.click();
  await page.getByRole('heading', { name: CALL, exact: true }).waitFor({ timeout: 5000 });
  await eventually(async () => (await linkState.innerText()) === 'Live', 5000, 'the call streams again');
  ok('the Supervisor address is remembered across a reload');

  // --- a refused address: the 422's detail next to the field, nothing sent --------------
  let mark = (await telnyxRequests()).length;
  await address.fill('not an address');
  await button('Monitor').click();
  await eventually(async () => (await address.getAttribute('aria-invalid')) === 'true', 5000,
    'the Supervisor address is marked invalid');
  const addressError = page.locator(`[id="${await address.getAttribute('aria-describedby')}"]`);
  const addressDetail = await addressError.innerText();
  check(/SIP URI|E\.164/.test(addressDetail), `the error is the worker's detail: ${addressDetail}`);
  check(await page.evaluate((id) => document.getElementById(id).parentElement
    === document.getElementById('supervisor-address').parentElement,
  await address.getAttribute('aria-describedby')), 'the error is shown next to Supervisor address');
  check(/supervise failed \(422\)/.test(await groupMsg.innerText()), `the group says it failed: ${await groupMsg.innerText()}`);
  check((await telnyxSince(mark)).length === 0, 'nothing reached Telnyx for a refused address');
  ok(`an invalid Supervisor address shows the 422's detail next to the field and sends nothing: "${addressDetail}"`);

  // --- Monitor with no supervisor leg dials one ------------------------------------------
  await address.fill(SUPERVISOR);
  mark = (await telnyxRequests()).length;
  await button('Monitor').click();
  await eventually(async () => /supervise sent \(200\)/.test(await groupMsg.innerText()), 5000,
    'the Dial is confirmed');
  check(await address.getAttribute('aria-invalid') === null, 'the address is no longer marked invalid');
  const dial = await telnyxSince(mark);
  check(dial.length === 1 && dial[0].line === 'POST /v2/calls', `exactly one Dial: ${JSON.stringify(dial)}`);
  check(dial[0].body.to === SUPERVISOR && dial[0].body.supervisor_role === 'monitor'
    && dial[0].body.supervise_call_control_id === CALL, `the Dial's body: ${JSON.stringify(dial[0].body)}`);
  // The fake names a Dial's leg by the Dial's position among all its requests.
  const LEG = `v3:fake-leg-${mark + 1}`;
  const supervisorRow = (leg) => page.locator('#supervisors li', { has: page.locator(`button[data-open="${leg}"]`) });
  const shows = async (leg, role, status, timeout = LEGS_WITHIN_MS) => {
    const row = supervisorRow(leg);
    const showing = async () => (await row.count()) === 1
      && (await row.locator('.leg-to').textContent()) === SUPERVISOR
      && (await row.locator('.role-tag').textContent()) === role
      && (await row.locator('.badge').textContent()) === status;
    try {
      await eventually(showing, timeout, 'the page shows it');
    } catch (error) {
      const shown = await page.locator('#supervisors').innerText();
      const { supervisors } = await stateOf(CALL);
      throw new Error(`the supervisor leg ${leg} does not show ${SUPERVISOR}, ${role}, ${status} `
        + `(${error.message}); the page shows ${JSON.stringify(shown)}, the API ${JSON.stringify(supervisors)}`);
    }
  };
  await shows(LEG, 'monitor', 'dialing');
  await eventually(async () => /by admin-token/.test(await supervisorRow(LEG).innerText()), 5000,
    'the supervisor leg says who dialed it');
  await eventually(async () => (await button('Monitor').getAttribute('aria-pressed')) === 'true', 5000,
    'Monitor shows as the leg\'s role');
  check(await button('Leave').isEnabled(), 'Leave is enabled with a supervisor leg');
  ok(`Monitor dialed one supervisor leg (${LEG}) to the address, and the page lists it: monitor, dialing, by admin-token`);

  // The leg's webhooks, as Telnyx sends them for a Dial from the call's number.
  const legParties = { direction: 'outgoing', from: '+13125550199', to: SUPERVISOR };
  await deliverFor(LEG, 'call.answered', 'console-e2e-leg-answered', 10, legParties);
  await shows(LEG, 'monitor', 'answered');
  ok('the supervisor leg\'s call.answered shows it as answered');

  // --- Whisper, Barge, Monitor switch that leg's role (Whisper while Telnyx is slow) ------
  const switched = async (name, role) => {
    const requests = await telnyxSince(mark);
    check(same(requests, [{ line: `POST ${actionUrl(LEG, 'switch_supervisor_role')}`, body: { role } }]),
      `${name} sent exactly one switch_supervisor_role to the leg: ${JSON.stringify(requests)}`);
    await shows(LEG, role, 'answered');
    await eventually(async () => (await button(name).getAttribute('aria-pressed')) === 'true', 5000,
      `${name} shows as the leg's role`);
  };
  mark = (await telnyxRequests()).length;
  await fetch(SENDER_URL, { method: 'POST', body: JSON.stringify({ telnyx_delay_ms: 1500 }) });
  const whisper = button('Whisper');
  await whisper.click();
  await eventually(async () => (await whisper.getAttribute('aria-busy')) === 'true'
    && await whisper.isDisabled() && await button('Barge').isDisabled() && await button('Leave').isDisabled(),
  1000, 'Whisper shows it is busy while Telnyx answers, and the other buttons wait');
  await eventually(async () => (await whisper.getAttribute('aria-busy')) === null
    && await whisper.isEnabled() && await button('Barge').isEnabled(), 5000, 'Whisper is ready again once Telnyx answered');
  await eventually(async () => /switch_supervisor_role sent \(200\)/.test(await groupMsg.innerText()), 5000,
    'the switch is confirmed');
  await switched('Whisper', 'whisper');
  ok('Whisper switches the leg\'s role (busy and disabled until Telnyx answers), and the page shows whisper');

  // A read of the call served before a switch can answer after the stream has shown it:
  // here every read the page makes answers 1.5 s late with the state before the click,
  // and the page must keep showing the switch.
  const STALE_MS = 1500;
  const callPathname = `/calls/${encodeURIComponent(CALL)}`;
  const readOfCall = (url) => url.pathname === callPathname;
  for (const [name, role] of [['Barge', 'barge'], ['Monitor', 'monitor']]) {
    const before = await stateOf(CALL);
    const stale = async (route) => {
      await new Promise((resolve) => setTimeout(resolve, STALE_MS));
      await route.fulfill({ status: 200, contentType: 'application/json', body: JSON.stringify(before) })
        .catch(() => {}); // the page went on meanwhile
    };
    await page.route(readOfCall, stale);
    mark = (await telnyxRequests()).length;
    await button(name).click();
    await eventually(async () => (await telnyxSince(mark)).length > 0, 5000, `${name} reaches Telnyx`);
    await switched(name, role);
    await new Promise((resolve) => setTimeout(resolve, STALE_MS + 500));
    await shows(LEG, role, 'answered', 0);
    await page.unroute(readOfCall, stale);
    if (role === 'barge') {
      // The call from its heading to the Supervisor controls; at 375 px, its supervisors
      // and the controls.
      await screenshot(page, 'desktop-supervision', await pageArea('.topbar', '#supervisor-group'));
      await page.setViewportSize({ width: 375, height: 812 });
      check(await page.evaluate(() => document.documentElement.scrollWidth <= 375),
        'a call with a supervisor leg fits 375 px without horizontal scrolling');
      await screenshot(page, 'phone-supervision', await pageArea('#supervisors-title', '#supervisor-group'));
      await page.setViewportSize({ width: 1280, height: 860 });
    }
  }
  ok('Barge and Monitor switch the role of the supervisor leg, never of the call, and a late read does not undo it');

  // --- Leave hangs the leg up; then the buttons dial again --------------------------------
  mark = (await telnyxRequests()).length;
  await button('Leave').click();
  await eventually(async () => /hangup sent \(200\)/.test(await groupMsg.innerText()), 5000, 'Leave is confirmed');
  const left = await telnyxSince(mark);
  check(same(left, [{ line: `POST ${actionUrl(LEG, 'hangup')}`, body: {} }]),
    `Leave sent exactly one hangup, to the leg: ${JSON.stringify(left)}`);
  await deliverFor(LEG, 'call.hangup', 'console-e2e-leg-hangup', 20, legParties);
  await shows(LEG, 'monitor', 'hangup');
  await eventually(async () => /dial/i.test(await mode.innerText()) && await button('Leave').isDisabled(), 5000,
    'with the leg hung up, the buttons dial again and Leave is disabled');
  ok('Leave hangs the supervisor leg up; after its call.hangup the page lists it as hung up');

  mark = (await telnyxRequests()).length;
  await button('Barge').click();
  await eventually(async () => /supervise sent \(200\)/.test(await groupMsg.innerText()), 5000,
    'the second Dial is confirmed');
  const redial = await telnyxSince(mark);
  check(redial.length === 1 && redial[0].line === 'POST /v2/calls' && redial[0].body.to === SUPERVISOR
    && redial[0].body.supervisor_role === 'barge' && redial[0].body.supervise_call_control_id === CALL,
  `Barge dialed exactly one new supervisor leg: ${JSON.stringify(redial)}`);
  const LEG2 = `v3:fake-leg-${mark + 1}`;
  await shows(LEG2, 'barge', 'dialing');
  ok(`with no supervisor leg up, Barge dials a new one (${LEG2})`);

  // --- the supervisor leg shows the call it supervises, which opens with a click -------------
  await supervisorRow(LEG).getByRole('button', { name: LEG, exact: true }).click();
  await page.getByRole('heading', { name: LEG, exact: true }).waitFor({ timeout: 5000 });
  const factOf = (term) => page.locator('.fact', { has: page.locator('dt', { hasText: `${term}:` }) }).locator('dd');
  await eventually(async () => (await factOf('Supervising').count()) === 1, 5000, 'the leg names the call it supervises');
  check(/dialed by operator/.test(await factOf('Origin').innerText()), `the leg's origin: ${await factOf('Origin').innerText()}`);
  await factOf('Supervising').getByRole('button', { name: CALL, exact: true }).click();
  await page.getByRole('heading', { name: CALL, exact: true }).waitFor({ timeout: 5000 });
  await eventually(async () => (await linkState.innerText()) === 'Live', 5000, 'the call streams again');
  check(/started by Telnyx/.test(await factOf('Origin').innerText()), `the call's origin: ${await factOf('Origin').innerText()}`);
  ok('the supervisor leg opens from the call\'s list, shows the call it supervises, and that opens with a click');

  // --- DTMF ----------------------------------------------------------------------------
  const digits = page.getByLabel('Digits', { exact: true });
  const sendDtmf = page.getByRole('button', { name: 'Send DTMF', exact: true });
  const dtmfGroup = page.locator('fieldset', { has: digits });
  await digits.fill('12#');
  await sendDtmf.click();
  await eventually(async () => /send_dtmf sent \(200\)/.test(await dtmfGroup.innerText()), 5000,
    'Send DTMF 12# is confirmed');
  const dtmfAction = timeline.locator('li[data-type="action"]', { hasText: 'send_dtmf' });
  await eventually(async () => (await dtmfAction.count()) === 1
    && /by admin-token/.test(await dtmfAction.innerText()), 5000, 'the timeline says who sent the DTMF');
  ok('Send DTMF 12# is sent and confirmed, and the timeline shows it by admin-token');

  await digits.fill('12x');
  await sendDtmf.click();
  await eventually(async () => (await digits.getAttribute('aria-invalid')) === 'true', 5000,
    'the Digits field is marked invalid');
  const describedBy = await digits.getAttribute('aria-describedby');
  check(describedBy, 'the Digits field points at its error');
  const digitsError = page.locator(`[id="${describedBy}"]`);
  const errorText = await digitsError.innerText();
  check(/digits/i.test(errorText) || /contains/i.test(errorText), `the error says why: ${errorText}`);
  const nextToField = await page.evaluate((id) => {
    const error = document.getElementById(id);
    return error.parentElement === document.getElementById('digits').parentElement;
  }, describedBy);
  check(nextToField, 'the error is shown next to the Digits field');
  ok(`invalid digits show the 422's detail next to Digits: "${errorText}"`);

  // --- every other control reaches Telnyx ---------------------------------------------
  const sentOk = async (group, action) => eventually(
    async () => new RegExp(`${action} sent \\(200\\)`).test(await group.innerText()), 5000,
    `${action} is confirmed`);
  const groupOf = (name) => page.locator('fieldset', { has: page.getByRole('button', { name, exact: true }) });
  const press = async (name, action) => {
    await page.getByRole('button', { name, exact: true }).click();
    await sentOk(groupOf(name), action);
  };
  await page.getByLabel('Connector', { exact: true }).fill('recorder-1');
  await page.getByLabel('Track', { exact: true }).selectOption('inbound_track');
  await press('Start recording', 'siprec_start');
  await press('Stop recording', 'siprec_stop');
  await page.getByLabel('Direction', { exact: true }).selectOption('both');
  await page.getByLabel('Engine', { exact: true }).selectOption('DeepFilterNet');
  await press('Start noise suppression', 'suppression_start');
  await press('Stop noise suppression', 'suppression_stop');
  await page.getByLabel('SIP address', { exact: true }).fill('sip:agent@pbx.example.com');
  await press('Refer', 'refer');
  await page.getByLabel('Client state', { exact: true }).fill('queue=gold ✓');
  await press('Set client state', 'client_state_update');
  ok('recording, noise suppression, refer and client state each reach Telnyx');

  await screenshot(page, 'desktop-detail');

  // --- 375 px, keyboard ----------------------------------------------------------------
  await page.setViewportSize({ width: 375, height: 812 });
  const fits = () => page.evaluate(() => document.documentElement.scrollWidth <= 375);
  check(await fits(), 'the detail fits 375 px without horizontal scrolling');
  await screenshot(page, 'phone-detail');
  await page.getByRole('button', { name: 'Back to calls', exact: true }).focus();
  await page.keyboard.press('Enter');
  await callButton.waitFor({ state: 'visible', timeout: 5000 });
  const row = page.locator('li', { has: callButton });
  await eventually(async () => /answered/.test(await row.innerText()), 12000,
    'the list shows the call as answered once it was');
  check(await fits(), 'the list fits 375 px without horizontal scrolling');
  await screenshot(page, 'phone-list');
  await callButton.focus();
  await page.keyboard.press('Enter');
  await eventually(
    () => page.evaluate((call) => document.activeElement?.textContent === call, CALL),
    5000, 'opening a call by keyboard moves focus to its heading');
  ok('at 375 px the list and the detail fit, and a call opens and closes by keyboard');

  await page.getByRole('button', { name: 'Hang up', exact: true }).click();
  await sentOk(groupOf('Hang up'), 'hangup');
  ok('Hang up reaches Telnyx');

  // --- legs of one session open each other -------------------------------------------
  await deliverFor(LEG_A, 'call.initiated', 'console-e2e-leg-a-initiated', 30, { call_session_id: SESSION });
  await deliverFor(LEG_B, 'call.initiated', 'console-e2e-leg-b-initiated', 31,
    { call_session_id: SESSION, direction: 'outgoing', from: '+13125550199', to: '+13125550142' });
  await page.setViewportSize({ width: 1280, height: 860 });
  const legA = page.locator('#call-list').getByRole('button', { name: LEG_A, exact: true });
  await legA.waitFor({ timeout: 12000 });
  await legA.click();
  await page.getByRole('heading', { name: LEG_A, exact: true }).waitFor({ timeout: 5000 });
  const otherLeg = page.locator('#legs').getByRole('button', { name: LEG_B, exact: true });
  await otherLeg.waitFor({ timeout: LEGS_WITHIN_MS });
  check(/\+13125550142/.test(await page.locator('#legs li', { has: page.getByRole('button', { name: LEG_B, exact: true }) }).innerText()), 'the other leg shows its parties');
  await otherLeg.click();
  await page.getByRole('heading', { name: LEG_B, exact: true }).waitFor({ timeout: 5000 });
  await page.locator('#legs').getByRole('button', { name: LEG_A, exact: true }).waitFor({ timeout: LEGS_WITHIN_MS });
  ok('two calls of one session list each other under Other legs, and each opens the other with a click');

  await runDashboard(page, { leg2: LEG2, legParties, asked, requestedUrls });

  // --- no secret in a URL, nothing refused by the policy --------------------------------
  check(!requestedUrls.some((url) => url.includes(ADMIN_TOKEN)), 'the token is in no URL');
  check(problems.length === 0, `no page errors or policy violations: ${problems.join(' | ')}`);
  check(dialogs.length === 0, 'no dialog was opened');
  ok('the token never went into a URL; no page error or policy violation');
}

/// Records the page's requests that end in an action's outcome (its actions, and the Dials
/// of supervise), each with the time around it and its outcome: `succeeded` for a 2xx,
/// `failed` for Telnyx's refusal, null for a request the worker refused itself (nothing
/// was sent, so there is no outcome).
function recordActions(page) {
  const asked = [];
  const sentAt = new Map();
  const actionPath = /^\/calls\/[^/]+\/(actions\/[a-z_]+|supervise)$/;
  page.on('request', (request) => sentAt.set(request, Date.now()));
  page.on('response', async (response) => {
    const request = response.request();
    if (!actionPath.test(new URL(request.url()).pathname)) return;
    const to = Date.now();
    const status = response.status();
    const code = status < 300 ? null : (await response.json().catch(() => null))?.errors?.[0]?.code;
    const outcome = status < 300 ? 'succeeded' : code === CALL_ENDED ? 'failed' : null;
    asked.push({ url: request.url(), outcome, from: sentAt.get(request), to });
  });
  return asked;
}

const minuteOf = (ms) => Math.floor(ms / MINUTE_MS) * MINUTE_MS;

/// Whether a column of a chart's rows agrees with `items` ([{from, to}], each counted in
/// the minute it happened, somewhere in its window): the minutes add up to their number,
/// and each minute has at least those whose whole window is in it and at most those whose
/// window touches it. '' when it does, else what differs.
function disagreement(rows, column, items, what) {
  const least = new Map();
  const most = new Map();
  for (const { from, to } of items) {
    const first = minuteOf(from);
    const last = minuteOf(to);
    for (let minute = first; minute <= last; minute += MINUTE_MS) most.set(minute, (most.get(minute) ?? 0) + 1);
    if (first === last) least.set(first, (least.get(first) ?? 0) + 1);
  }
  let sum = 0;
  for (const { minute, values } of rows) {
    const shown = Number(values[column]);
    sum += shown;
    const [low, high] = [least.get(minute) ?? 0, most.get(minute) ?? 0];
    if (!(shown >= low && shown <= high)) {
      return `${what} at ${new Date(minute).toISOString()}: ${values[column]}, not ${low === high ? low : `${low} to ${high}`}`;
    }
  }
  return sum === items.length ? '' : `${what}: the minutes add up to ${sum}, not ${items.length}`;
}

/// The rows of a chart's text alternative: the minute (ms) and the cells after it.
async function chartRows(region, caption) {
  const table = region.getByRole('figure', { name: caption, exact: true }).getByRole('table');
  return table.evaluate((element) => [...element.tBodies[0].rows].map((row) => ({
    minute: Date.parse(row.querySelector('time')?.getAttribute('datetime') ?? ''),
    values: [...row.cells].slice(1).map((cell) => cell.textContent),
  })));
}

/// The Dashboard and a call's timeline, after everything else of the admin-token run:
/// `leg2` is the barge leg dialed last (not hung up), `asked` the page's action requests.
async function runDashboard(page, { leg2, legParties, asked, requestedUrls }) {
  const button = (name) => page.getByRole('button', { name, exact: true });
  const pageArea = (from, to) => pageAreaOf(page, from, to);
  const fits = (width) => page.evaluate((w) => document.documentElement.scrollWidth <= w, width);

  // Telnyx's call.hangup for the call hung up above, and the barge leg's first webhook.
  await deliver('call.hangup', 'console-e2e-hangup', 40);
  await deliverFor(leg2, 'call.initiated', 'console-e2e-leg2-initiated', 41, legParties);
  const inSession = { call_session_id: DASH_SESSION };
  const dashB = { ...inSession, direction: 'outgoing', from: '+13125550199', to: '+13125550177' };
  await deliverNow(DASH, 'call.initiated', 'console-e2e-dash-initiated', inSession);
  await deliverNow(DASH, 'call.answered', 'console-e2e-dash-answered', inSession);
  await deliverNow(DASH, 'siprec.started', 'console-e2e-dash-siprec', inSession);
  await deliverNow(DASH_B, 'call.initiated', 'console-e2e-dash-b-initiated', dashB);

  // --- a supervisor, noise suppression and a refused DTMF on a call --------------------
  const dashButton = page.locator('#call-list').getByRole('button', { name: DASH, exact: true });
  await dashButton.waitFor({ timeout: 12000 });
  await dashButton.click();
  await page.getByRole('heading', { name: DASH, exact: true }).waitFor({ timeout: 5000 });
  await eventually(async () => (await page.locator('#link-state').innerText()) === 'Live', 5000, 'the call streams');
  const mark = (await telnyxRequests()).length;
  await button('Whisper').click();
  const groupOf = (name) => page.locator('fieldset', { has: button(name) });
  const confirmed = (name, pattern) => eventually(async () => pattern.test(await groupOf(name).innerText()), 5000,
    `${name} is answered: ${pattern}`);
  await confirmed('Whisper', /supervise sent \(200\)/);
  const dashLeg = `v3:fake-leg-${mark + 1}`;
  await deliverNow(dashLeg, 'call.answered', 'console-e2e-dash-leg-answered', legParties);
  await button('Start noise suppression').click();
  await confirmed('Start noise suppression', /suppression_start sent \(200\)/);
  await fetch(SENDER_URL, { method: 'POST', body: JSON.stringify({ telnyx_refuses: true }) });
  await page.getByLabel('Digits', { exact: true }).fill('5');
  await button('Send DTMF').click();
  await confirmed('Send DTMF', /send_dtmf failed \(422\)/);
  ok(`on ${DASH}: Whisper dials a supervisor leg (${dashLeg}), noise suppression starts, and Telnyx refuses a DTMF`);

  // --- its timeline: a lane per leg, a mark per event and action -------------------------
  const callTimeline = page.getByRole('figure', { name: 'Call timeline', exact: true });
  const laneMarks = () => callTimeline.getByRole('table').evaluate((table) => {
    const lanes = {};
    for (const row of table.tBodies[0].rows) (lanes[row.cells[0].textContent] ??= []).push(row.cells[2].textContent);
    return lanes;
  });
  const events = (marks) => (marks ?? []).filter((m) => m.startsWith('event ')).sort();
  const expected = {
    [DASH]: { events: ['event call.answered', 'event call.initiated', 'event siprec.started'],
      actions: ['action suppression_start, succeeded', 'action send_dtmf, failed'] },
    [dashLeg]: { events: ['event call.answered'], actions: ['action dial, succeeded'] },
    [DASH_B]: { events: ['event call.initiated'], actions: [] },
  };
  const timelineShows = async (lanes) => {
    const shown = await laneMarks();
    return same(Object.keys(shown).sort(), Object.keys(lanes).sort())
      && Object.entries(lanes).every(([id, want]) => same(events(shown[id]), want.events)
        && want.actions.every((action) => shown[id].includes(action)));
  };
  try {
    await eventually(() => timelineShows(expected), LEGS_WITHIN_MS + 5000, 'the timeline shows every leg');
  } catch (error) {
    throw new Error(`${error.message}: it shows ${JSON.stringify(await laneMarks())}`);
  }
  ok(`the Call timeline's lanes are ${DASH}, its supervisor leg and the other leg of its session, with their events and actions`);

  await deliverNow(DASH_B, 'call.answered', 'console-e2e-dash-b-answered', dashB);
  expected[DASH_B].events = ['event call.answered', 'event call.initiated'];
  await eventually(() => timelineShows(expected), LEGS_WITHIN_MS + 5000, 'the other leg\'s answer shows without a reload');
  ok('the timeline follows the other leg\'s call.answered without a reload');
  await screenshot(page, 'desktop-timeline', await pageArea('#timeline-title', '#timeline'));
  await page.setViewportSize({ width: 390, height: 844 });
  check(await fits(390), 'a call with its timeline fits 390 px without horizontal scrolling');
  await screenshot(page, 'phone-timeline', await pageArea('#timeline-title', '#timeline'));
  await page.setViewportSize({ width: 1280, height: 860 });

  await page.locator('#supervisors').getByRole('button', { name: dashLeg, exact: true }).click();
  await page.getByRole('heading', { name: dashLeg, exact: true }).waitFor({ timeout: 5000 });
  await eventually(async () => same(Object.keys(await laneMarks()).sort(), [DASH, dashLeg].sort()), LEGS_WITHIN_MS,
    'the supervisor leg\'s timeline has its lane and the supervised call\'s');
  ok('a supervisor leg\'s timeline has its own lane and the call it supervises');

  // --- the Dashboard: live figures ----------------------------------------------------------
  await button('Dashboard').click();
  const dashboard = page.getByRole('region', { name: 'Dashboard', exact: true });
  await dashboard.waitFor({ timeout: 5000 });
  const names = ['Live calls', 'Supervisors', 'Recording', 'Noise suppression'];
  const figures = async () => Object.fromEntries(await Promise.all(names.map(async (name) =>
    [name, await dashboard.getByLabel(name, { exact: true }).innerText()])));
  const showsFigures = async (want, splits, what) => {
    try {
      await eventually(async () => {
        const text = await dashboard.innerText();
        return same(await figures(), want) && splits.every((split) => text.includes(split));
      }, DASHBOARD_WITHIN_MS, what);
    } catch (error) {
      throw new Error(`${error.message}: it shows ${JSON.stringify(await figures())}`);
    }
  };
  // Live: the barge leg (initiated), LEG_A and LEG_B (initiated), DASH (answered, SIPREC
  // started, noise suppression on), its whisper leg and DASH_B (answered). CALL and the
  // first supervisor leg have hung up.
  await showsFigures({ 'Live calls': '6', Supervisors: '2', Recording: '1', 'Noise suppression': '1' },
    ['initiated 3 · answered 3 · bridged 0', 'barge 1 · whisper 1 · monitor 0'], 'the live figures');
  ok('the Dashboard\'s live figures are what the run\'s calls imply: 6 live calls, 2 supervisors (barge 1, whisper 1), 1 recording, 1 with noise suppression');
  await screenshot(page, 'desktop-dashboard');

  const hungUpAt = Date.now();
  await deliverNow(DASH_B, 'call.hangup', 'console-e2e-dash-b-hangup', dashB);
  await showsFigures({ 'Live calls': '5', Supervisors: '2', Recording: '1', 'Noise suppression': '1' },
    ['initiated 3 · answered 2 · bridged 0'], 'the figures follow a hangup');
  ok(`the Dashboard shows a hangup ${Date.now() - hungUpAt} ms after it was sent, without a reload`);

  // --- per minute: calls started and ended, actions succeeded and failed -------------------
  const firsts = new Map();
  for (const delivery of delivered) if (!firsts.has(delivery.call)) firsts.set(delivery.call, delivery);
  const started = [...firsts.values()];
  const ended = delivered.filter((delivery) => delivery.event_type === 'call.hangup');
  // The worker records an outcome between the request and its answer; a second either side
  // allows for when this side hears of them.
  const outcomes = (outcome) => asked.filter((a) => a.outcome === outcome).map(({ from, to }) => ({ from: from - 1000, to: to + 1000 }));
  const succeeded = outcomes('succeeded');
  const failed = outcomes('failed');
  check(failed.length === 1, `one action was refused by Telnyx: ${JSON.stringify(asked)}`);
  let problem = '';
  try {
    await eventually(async () => {
      const calls = await chartRows(dashboard, 'Calls per minute');
      const actions = await chartRows(dashboard, 'Actions per minute');
      const reaction = await chartRows(dashboard, 'Reaction time');
      problem = [calls, actions, reaction].some((rows) => rows.length !== 60) ? 'not 60 minutes'
        : disagreement(calls, 0, started, 'calls started') || disagreement(calls, 1, ended, 'calls ended')
        || disagreement(actions, 0, succeeded, 'actions succeeded') || disagreement(actions, 1, failed, 'actions failed')
        || (reaction.every(({ values }) => same(values, ['—', '—', '0'])) ? '' : 'a reaction time with no rule');
      return !problem;
    }, DASHBOARD_WITHIN_MS, 'the charts\' numbers');
  } catch (error) {
    throw new Error(`${error.message}: ${problem}`);
  }
  ok(`the charts' tables hold the run's minutes: ${started.length} calls started, ${ended.length} ended, `
    + `${succeeded.length} actions succeeded, ${failed.length} failed, no reaction time (no rules)`);

  await page.setViewportSize({ width: 390, height: 844 });
  check(await fits(390), 'the Dashboard fits 390 px without horizontal scrolling');
  await screenshot(page, 'phone-dashboard');
  await page.setViewportSize({ width: 1280, height: 860 });

  // --- closed, it stops asking ----------------------------------------------------------------
  await button('Calls').click();
  await page.getByRole('heading', { name: 'Calls', exact: true }).waitFor({ timeout: 5000 });
  check(await dashboard.isHidden(), 'the Dashboard is closed');
  const asks = () => requestedUrls.filter((url) => new URL(url).pathname === '/stats').length;
  const before = asks();
  await new Promise((resolve) => setTimeout(resolve, 6000));
  check(asks() === before, `the closed Dashboard asked GET /stats ${asks() - before} more times`);
  ok('Calls closes the Dashboard, and it stops refreshing');
}

// Behind Cloudflare Access: every request of the browser carries the Access JWT (Access
// adds it at the edge; here the browser context does), and the page, given no token,
// must sign itself in, act as the Access identity, and say so.
async function runAccess(browser) {
  const context = await browser.newContext({
    viewport: { width: 1280, height: 860 },
    extraHTTPHeaders: { 'cf-access-jwt-assertion': ACCESS_JWT },
  });
  // Notes whether the sign-in form was ever shown, from the first parsed element on.
  await context.addInitScript(() => {
    window.signInFormShown = false;
    new MutationObserver(() => {
      const form = document.getElementById('signin');
      if (form && !form.hidden) window.signInFormShown = true;
    }).observe(document, { subtree: true, childList: true, attributes: true, attributeFilter: ['hidden'] });
  });
  const page = await context.newPage();
  const problems = [];
  page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
  page.on('console', (message) => {
    if (message.type() === 'error') problems.push(`console error: ${message.text()}`);
  });
  const bearers = [];
  page.on('request', (request) => {
    if (request.headers().authorization !== undefined) bearers.push(request.url());
  });
  const button = (name) => page.getByRole('button', { name, exact: true });

  const served = await page.goto(`${BASE_URL}/console`);
  check(served.status() === 200, `GET /console is 200, got ${served.status()}`);
  const signedInAs = page.locator('#signed-in-as');
  await eventually(async () => (await signedInAs.isVisible())
    && (await signedInAs.innerText()) === `Signed in as ${ACCESS_EMAIL}`, 5000,
  `the header says "Signed in as ${ACCESS_EMAIL}"`);
  await page.getByRole('heading', { name: 'Calls', exact: true }).waitFor({ timeout: 5000 });
  check(!(await page.getByLabel('Admin token', { exact: true }).isVisible()), 'no Admin token field is visible');
  check(await page.evaluate(() => window.signInFormShown) === false, 'the sign-in form was never shown');
  check(await page.evaluate(() => sessionStorage.length) === 0, 'no token is kept');
  ok(`with Access in front the page signs in by itself: "Signed in as ${ACCESS_EMAIL}", no Admin token field`);

  await deliver('call.initiated', 'console-access-initiated', 1);
  const callButton = page.getByRole('button', { name: CALL, exact: true });
  await callButton.waitFor({ timeout: 12000 });
  await callButton.click();
  await page.getByRole('heading', { name: CALL, exact: true }).waitFor({ timeout: 5000 });
  await eventually(async () => (await page.locator('#link-state').innerText()) === 'Live', 5000,
    'the open call streams its state');
  await deliver('call.answered', 'console-access-answered', 2);
  const timeline = page.locator('#timeline');
  await timeline.getByText('call.answered').first().waitFor({ timeout: 5000 });
  ok('the call list, the call and its live stream all work with Access alone');

  // --- an operator action: Send DTMF ---------------------------------------------------
  let mark = (await telnyxRequests()).length;
  await page.getByLabel('Digits', { exact: true }).fill('1');
  await button('Send DTMF').click();
  const dtmfGroup = page.locator('fieldset', { has: page.getByLabel('Digits', { exact: true }) });
  await eventually(async () => /send_dtmf sent \(200\)/.test(await dtmfGroup.innerText()), 5000,
    'Send DTMF is confirmed');
  const dtmf = await telnyxSince(mark);
  check(same(dtmf, [{ line: `POST ${actionUrl(CALL, 'send_dtmf')}`, body: { digits: '1' } }]),
    `exactly one send_dtmf reached Telnyx: ${JSON.stringify(dtmf)}`);
  const dtmfAction = timeline.locator('li[data-type="action"]', { hasText: 'send_dtmf' });
  await eventually(async () => (await dtmfAction.count()) === 1
    && (await dtmfAction.innerText()).includes(`by ${ACCESS_EMAIL}`), 5000,
  `the timeline shows send_dtmf by ${ACCESS_EMAIL}`);
  ok(`Send DTMF reaches Telnyx, and the timeline shows it "by ${ACCESS_EMAIL}"`);

  // --- a supervisor dialed from the page --------------------------------------------------
  mark = (await telnyxRequests()).length;
  await page.getByLabel('Supervisor address', { exact: true }).fill(SUPERVISOR);
  await button('Monitor').click();
  const groupMsg = page.locator('#supervisor-group .group-msg');
  await eventually(async () => /supervise sent \(200\)/.test(await groupMsg.innerText()), 5000,
    'the Dial is confirmed');
  const dial = await telnyxSince(mark);
  check(dial.length === 1 && dial[0].line === 'POST /v2/calls' && dial[0].body.to === SUPERVISOR
    && dial[0].body.supervisor_role === 'monitor' && dial[0].body.supervise_call_control_id === CALL,
  `exactly one Dial of the supervisor: ${JSON.stringify(dial)}`);
  const LEG = `v3:fake-leg-${mark + 1}`;
  const row = page.locator('#supervisors li', { has: page.locator(`button[data-open="${LEG}"]`) });
  // The entry from the call's state, not the page's own placeholder: it has a time.
  await eventually(async () => (await row.count()) === 1 && (await row.locator('.time').count()) === 1
    && (await row.innerText()).includes(`by ${ACCESS_EMAIL}`), LEGS_WITHIN_MS,
  `the supervisor leg shows as dialed by ${ACCESS_EMAIL}`);
  ok(`Monitor dials the supervisor (${LEG}), and the Supervisors list shows it "by ${ACCESS_EMAIL}"`);

  // --- the state agrees -------------------------------------------------------------------
  const state = await stateOf(CALL);
  const byOf = (entries, pick) => (entries ?? []).filter(pick).map((entry) => entry.by);
  check(same(byOf(state.actions, (a) => a.action === 'send_dtmf'), [ACCESS_EMAIL]),
    `the state's send_dtmf action is by ${ACCESS_EMAIL}: ${JSON.stringify(state.actions)}`);
  check(same(byOf(state.supervisors, (s) => s.call_control_id === LEG), [ACCESS_EMAIL]),
    `the state's supervisor is by ${ACCESS_EMAIL}: ${JSON.stringify(state.supervisors)}`);
  ok(`the call's state has actions[].by and supervisors[].by = ${ACCESS_EMAIL}`);

  // The header of the signed-in page, with the call open below it down to its
  // supervisors; and its timeline. The list first catches up with the answer.
  await eventually(async () => /answered/.test(await page.locator('#call-list li', { has: callButton }).innerText()),
    12000, 'the list shows the call as answered');
  await screenshot(page, 'desktop-access', await pageAreaOf(page, '.topbar', '.related'));
  await screenshot(page, 'desktop-access-timeline', await pageAreaOf(page, '#timeline-title', '#timeline'));
  await page.setViewportSize({ width: 375, height: 812 });
  check(await page.evaluate(() => document.documentElement.scrollWidth <= 375),
    'the signed-in header fits 375 px without horizontal scrolling');
  await screenshot(page, 'phone-access', await pageAreaOf(page, '.topbar', '.topbar'));
  await page.setViewportSize({ width: 1280, height: 860 });

  check(bearers.length === 0, `no request carried an Authorization header: ${bearers.join(', ')}`);
  check(await button('Sign out').isVisible(), 'Sign out is offered (it ends the Access session)');
  check(problems.length === 0, `no page errors or policy violations: ${problems.join(' | ')}`);
  ok('no request carried an admin token; no page error or policy violation');
  await context.close();
}

main().catch((error) => {
  console.error(`console: FAILED at step ${step + 1}: ${error.stack || error}`);
  process.exit(1);
});
