// The same storage work as telnyx-edge's webhook path, written in JavaScript: it shows
// what this worker's contract costs by itself, apart from the language. After verifying
// and parsing like the baseline (../baseline/verified.js) it reads the id marker (a
// repeat must be answered `duplicate`), writes the call record with its list metadata
// and the marker with the raw body, and logs one JSON line, as telnyx-edge does.

import { reply, verifiedEvent } from "../baseline/verified.js";

const TTL = { expirationTtl: 604800 };

function log(fields) {
  console.log(JSON.stringify({ level: "info", msg: "webhook", ...fields }));
}

export default {
  async fetch(request, env) {
    const { event, body, response } = await verifiedEvent(request, env);
    if (response) {
      return response;
    }
    const id = event?.data?.id;
    const call = event?.data?.payload?.call_control_id;
    if (typeof id !== "string" || typeof call !== "string") {
      log({ level: "warn", outcome: "rejected", status: 400, detail: "invalid_envelope" });
      return reply(400, { errors: [{ code: "invalid_envelope" }] });
    }
    const seen = { event_id: id, event_type: event.data.event_type, call_control_id: call };
    if ((await env.CALL_STATE.get(`event:${id}`)) !== null) {
      log({ ...seen, outcome: "duplicate", status: 200 });
      return reply(200, { status: "duplicate", event_id: id });
    }
    // The fields the call state is folded from, as telnyx-edge keeps them.
    const { call_leg_id, call_session_id, connection_id, from, to, client_state } =
      event.data.payload;
    const record = {
      id,
      event_type: event.data.event_type,
      occurred_at: event.data.occurred_at,
      at: Date.parse(event.data.occurred_at),
      call_control_id: call,
      call_leg_id,
      call_session_id,
      connection_id,
      from,
      to,
      client_state,
      sip_notify_response: event.data.payload.sip_notify_response,
    };
    const text = JSON.stringify(record);
    await Promise.all([
      env.CALL_STATE.put(`call:${encodeURIComponent(call)}:event:${id}`, text, {
        ...TTL,
        metadata: text.length <= 1024 ? record : undefined,
      }),
      env.CALL_STATE.put(`event:${id}`, new TextDecoder().decode(body), TTL),
    ]);
    log({ ...seen, outcome: "accepted", status: 200 });
    return reply(200, { status: "accepted", event_id: id });
  },
};
