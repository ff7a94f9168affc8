// The operator console in a real browser (Debian's Chromium through playwright-core),
// against the release build under `wrangler dev` and the fake Telnyx API. Started by
// tests/console.rs, which sends the signed webhooks this script asks for and checks
// afterwards what reached the fake Telnyx.
//
// Environment: BASE_URL (the worker), ADMIN_TOKEN, SENDER_URL (POST a webhook to send),
// CHROMIUM_BIN, SCREENSHOT_DIR. Prints one line per step; exits non-zero on the first
// failure.

import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium } from 'playwright-core';

const env = (name) => {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set`);
  return value;
};
const BASE_URL = env('BASE_URL');
const ADMIN_TOKEN = env('ADMIN_TOKEN');
const SENDER_URL = env('SENDER_URL');
const SCREENSHOT_DIR = env('SCREENSHOT_DIR');
const CHROMIUM_BIN = env('CHROMIUM_BIN');

const XSS_FROM = '<img src=x onerror=alert(1)>';
const CALL = 'v3:console-e2e-call';
const LIVE_WITHIN_MS = 1000;

let step = 0;
function ok(what) {
  step += 1;
  console.log(`console: ok ${step} - ${what}`);
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

/// Asks the Rust side to sign and deliver one webhook; returns the worker's answer.
async function deliver(event_type, event_id, second, payload = {}) {
  const response = await fetch(SENDER_URL, {
    method: 'POST',
    body: JSON.stringify({ event_type, event_id, call_control_id: CALL, second, payload }),
  });
  const answer = await response.json();
  check(answer.status === 200, `${event_type} accepted: ${JSON.stringify(answer)}`);
  return answer;
}

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
    await run(browser);
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
  ok('the admin token signs in and is kept in sessionStorage');

  // --- a new call appears without a reload --------------------------------------------
  await deliver('call.initiated', 'console-e2e-initiated', 1, { from: XSS_FROM });
  const callButton = page.getByRole('button', { name: CALL, exact: true });
  await callButton.waitFor({ timeout: 12000 });
  ok('a new call appears in the list without a reload');
  await page.screenshot({ path: join(SCREENSHOT_DIR, 'desktop-list.png'), fullPage: true });

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

  // --- Barge ---------------------------------------------------------------------------
  const role = page.locator('.fact', { has: page.locator('dt', { hasText: 'Supervisor role:' }) })
    .locator('dd');
  await page.getByRole('button', { name: 'Barge', exact: true }).click();
  await eventually(async () => (await role.innerText()).trim() === 'barge', 5000,
    `the page shows the role barge (shows ${await role.innerText()})`);
  ok('Barge switches the supervisor role and the page shows barge');

  // --- feedback while a request is in flight -------------------------------------------
  await fetch(SENDER_URL, { method: 'POST', body: JSON.stringify({ telnyx_delay_ms: 1500 }) });
  const whisper = page.getByRole('button', { name: 'Whisper', exact: true });
  await whisper.click();
  await eventually(async () => (await whisper.getAttribute('aria-busy')) === 'true'
    && await whisper.isDisabled(), 1000, 'Whisper shows it is busy while Telnyx answers');
  await eventually(async () => (await whisper.getAttribute('aria-busy')) === null
    && await whisper.isEnabled(), 5000, 'Whisper is ready again once Telnyx answered');
  await eventually(async () => (await role.innerText()).trim() === 'whisper', 5000,
    'the page shows the role whisper');
  ok('a button shows its request in flight (busy, disabled) until Telnyx answers');

  // --- DTMF ----------------------------------------------------------------------------
  const digits = page.getByLabel('Digits', { exact: true });
  const sendDtmf = page.getByRole('button', { name: 'Send DTMF', exact: true });
  const dtmfGroup = page.locator('fieldset', { has: digits });
  await digits.fill('12#');
  await sendDtmf.click();
  await eventually(async () => /send_dtmf sent \(200\)/.test(await dtmfGroup.innerText()), 5000,
    'Send DTMF 12# is confirmed');
  ok('Send DTMF 12# is sent and confirmed');

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
  await press('Monitor', 'switch_supervisor_role');
  ok('recording, noise suppression, refer, client state and Monitor each reach Telnyx');

  await page.screenshot({ path: join(SCREENSHOT_DIR, 'desktop-detail.png'), fullPage: true });

  // --- 375 px, keyboard ----------------------------------------------------------------
  await page.setViewportSize({ width: 375, height: 812 });
  const fits = () => page.evaluate(() => document.documentElement.scrollWidth <= 375);
  check(await fits(), 'the detail fits 375 px without horizontal scrolling');
  await page.screenshot({ path: join(SCREENSHOT_DIR, 'phone-detail.png'), fullPage: true });
  await page.getByRole('button', { name: 'Back to calls', exact: true }).focus();
  await page.keyboard.press('Enter');
  await callButton.waitFor({ state: 'visible', timeout: 5000 });
  const row = page.locator('li', { has: callButton });
  await eventually(async () => /answered/.test(await row.innerText()), 12000,
    'the list shows the call as answered once it was');
  check(await fits(), 'the list fits 375 px without horizontal scrolling');
  await page.screenshot({ path: join(SCREENSHOT_DIR, 'phone-list.png'), fullPage: true });
  await callButton.focus();
  await page.keyboard.press('Enter');
  await eventually(
    () => page.evaluate((call) => document.activeElement?.textContent === call, CALL),
    5000, 'opening a call by keyboard moves focus to its heading');
  ok('at 375 px the list and the detail fit, and a call opens and closes by keyboard');

  await page.getByRole('button', { name: 'Hang up', exact: true }).click();
  await sentOk(groupOf('Hang up'), 'hangup');
  ok('Hang up reaches Telnyx');

  // --- no secret in a URL, nothing refused by the policy --------------------------------
  check(!requestedUrls.some((url) => url.includes(ADMIN_TOKEN)), 'the token is in no URL');
  check(problems.length === 0, `no page errors or policy violations: ${problems.join(' | ')}`);
  check(dialogs.length === 0, 'no dialog was opened');
  ok('the token never went into a URL; no page error or policy violation');
}

main().catch((error) => {
  console.error(`console: FAILED at step ${step + 1}: ${error.stack || error}`);
  process.exit(1);
});
