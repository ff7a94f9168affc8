// The storage a user's JavaScript Worker does with KV once a webhook is verified
// (plain-js and telnyx-sdk share it): read the `event:{id}` marker, answer a repeat
// `duplicate`, else put the event under its call and put the marker. No log line.

import { reply } from "./verified.js";

// Both keys expire after a week, so that KV does not grow for ever.
const TTL = { expirationTtl: 604800 };

/// Stores a verified event (`event` parsed, `text` the body as received) once.
export async function storeOnce(env, event, text) {
  const id = event?.data?.id;
  const call = event?.data?.payload?.call_control_id;
  if (typeof id !== "string" || typeof call !== "string") {
    return reply(400, { errors: [{ code: "invalid_envelope" }] });
  }
  if ((await env.CALL_STATE.get(`event:${id}`)) !== null) {
    return reply(200, { status: "duplicate", event_id: id });
  }
  await Promise.all([
    env.CALL_STATE.put(`call:${encodeURIComponent(call)}:event:${id}`, text, TTL),
    env.CALL_STATE.put(`event:${id}`, "1", TTL),
  ]);
  return reply(200, { status: "accepted", event_id: id });
}
