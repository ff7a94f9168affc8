// What the hand-written JavaScript Workers of `make bench` (plain-js, js-object,
// js-object-fetch) do
// before storage, as a user would write it: route, check the two headers and the 300 s
// window, verify the Ed25519 signature over `timestamp|body` with WebCrypto, parse the
// JSON. The routing and the answers are shared with the Telnyx SDK's Worker too.

const encoder = new TextEncoder();
let keyPromise;

function fromBase64(text) {
  return Uint8Array.from(atob(text), (c) => c.charCodeAt(0));
}

function publicKey(env) {
  // Imported once per isolate, as a careful user would.
  keyPromise ??= crypto.subtle.importKey(
    "raw",
    fromBase64(env.TELNYX_PUBLIC_KEY.split(/[ ,]+/).pop()),
    { name: "Ed25519" },
    false,
    ["verify"],
  );
  return keyPromise;
}

export function reply(status, body) {
  return Response.json(body, { status });
}

/// An answer for anything but a webhook delivery (`/health` included, which the bench
/// waits on), or undefined for `POST /webhooks/telnyx`.
export function notAWebhook(request) {
  const url = new URL(request.url);
  if (url.pathname === "/health") {
    return reply(200, { status: "ok" });
  }
  if (url.pathname !== "/webhooks/telnyx" || request.method !== "POST") {
    return reply(404, { errors: [{ code: "not_found" }] });
  }
  return undefined;
}

/// `{ event, text }` for a verified webhook (`text` the body as received), or
/// `{ response }` to answer at once.
export async function verifiedEvent(request, env) {
  const response = notAWebhook(request);
  if (response) {
    return { response };
  }
  const signature = request.headers.get("telnyx-signature-ed25519");
  const timestamp = request.headers.get("telnyx-timestamp");
  if (!signature || !timestamp || !/^\d+$/.test(timestamp)) {
    return { response: reply(401, { errors: [{ code: "missing_signature" }] }) };
  }
  if (Math.abs(Date.now() / 1000 - Number(timestamp)) > 300) {
    return { response: reply(401, { errors: [{ code: "timestamp_outside_window" }] }) };
  }
  const body = new Uint8Array(await request.arrayBuffer());
  const prefix = encoder.encode(`${timestamp}|`);
  const message = new Uint8Array(prefix.length + body.length);
  message.set(prefix);
  message.set(body, prefix.length);
  let valid = false;
  try {
    valid = await crypto.subtle.verify("Ed25519", await publicKey(env), fromBase64(signature), message);
  } catch {
    valid = false;
  }
  if (!valid) {
    return { response: reply(401, { errors: [{ code: "invalid_signature" }] }) };
  }
  const text = new TextDecoder().decode(body);
  try {
    return { event: JSON.parse(text), text };
  } catch {
    return { response: reply(400, { errors: [{ code: "invalid_envelope" }] }) };
  }
}

/// `{ id, text, object }` for a verified webhook (its event id, the body as received,
/// and the stub of the Durable Object named by its `call_control_id`), or
/// `{ response }` to answer at once: what a Worker with an object per call starts with.
export async function verifiedCallEvent(request, env) {
  const { event, text, response } = await verifiedEvent(request, env);
  if (response) {
    return { response };
  }
  const id = event?.data?.id;
  const call = event?.data?.payload?.call_control_id;
  if (typeof id !== "string" || typeof call !== "string") {
    return { response: reply(400, { errors: [{ code: "invalid_envelope" }] }) };
  }
  return { id, text, object: env.CALLS.get(env.CALLS.idFromName(call)) };
}
