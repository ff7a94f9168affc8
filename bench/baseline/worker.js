// The baseline for `make bench`: the Telnyx webhook handler a user would write as a plain
// JavaScript Worker. It verifies and parses (verified.js), then puts the event in KV
// once. No duplicate check, no call state, no automations: the least a user would do.

import { reply, verifiedEvent } from "./verified.js";

export default {
  async fetch(request, env) {
    const { event, response } = await verifiedEvent(request, env);
    if (response) {
      return response;
    }
    const id = event?.data?.id;
    if (typeof id !== "string") {
      return reply(400, { errors: [{ code: "invalid_envelope" }] });
    }
    await env.CALL_STATE.put(`event:${id}`, JSON.stringify(event.data), { expirationTtl: 604800 });
    return reply(200, { status: "accepted", event_id: id });
  },
};
