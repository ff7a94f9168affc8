// The baseline for `make bench`: the Telnyx webhook handler a user would write as a plain
// JavaScript Worker. It checks the two headers and the 300 s window, verifies the Ed25519
// signature over `timestamp|body` with WebCrypto, parses the JSON, and puts the event in
// KV once. No duplicate check, no call state, no automations: the least a user would do.

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

function reply(status, body) {
  return Response.json(body, { status });
}

export default {
  async fetch(request, env) {
    const url = new URL(request.url);
    if (url.pathname === "/health") {
      return reply(200, { status: "ok" });
    }
    if (url.pathname !== "/webhooks/telnyx" || request.method !== "POST") {
      return reply(404, { errors: [{ code: "not_found" }] });
    }
    const signature = request.headers.get("telnyx-signature-ed25519");
    const timestamp = request.headers.get("telnyx-timestamp");
    if (!signature || !timestamp || !/^\d+$/.test(timestamp)) {
      return reply(401, { errors: [{ code: "missing_signature" }] });
    }
    if (Math.abs(Date.now() / 1000 - Number(timestamp)) > 300) {
      return reply(401, { errors: [{ code: "timestamp_outside_window" }] });
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
      return reply(401, { errors: [{ code: "invalid_signature" }] });
    }
    let event;
    try {
      event = JSON.parse(new TextDecoder().decode(body));
    } catch {
      return reply(400, { errors: [{ code: "invalid_envelope" }] });
    }
    const id = event?.data?.id;
    if (typeof id !== "string") {
      return reply(400, { errors: [{ code: "invalid_envelope" }] });
    }
    await env.CALL_STATE.put(`event:${id}`, JSON.stringify(event.data), { expirationTtl: 604800 });
    return reply(200, { status: "accepted", event_id: id });
  },
};
