// What a Durable Object per call costs by itself: the floor of any design that sends
// each webhook to its call's object. The Worker verifies like plain-js
// (../common/verified.js) and calls the object of the event's call_control_id; the
// object (SQLite-backed) claims the event id with one INSERT, keeping the body in the
// same row, and answers accepted or duplicate. Its answer waits for the write to be
// durable (the object's output gate), as telnyx-edge's does. No log line.

import { DurableObject } from "cloudflare:workers";
import { reply, verifiedCallEvent } from "../common/verified.js";

export class CallObject extends DurableObject {
  constructor(ctx, env) {
    super(ctx, env);
    ctx.storage.sql.exec("CREATE TABLE IF NOT EXISTS events (id TEXT PRIMARY KEY, body TEXT NOT NULL)");
  }

  /// `true` when this call had not seen the event before.
  claim(id, text) {
    const inserted = this.ctx.storage.sql
      .exec("INSERT INTO events (id, body) VALUES (?, ?) ON CONFLICT DO NOTHING RETURNING 1", id, text)
      .toArray();
    return inserted.length === 1;
  }
}

export default {
  async fetch(request, env) {
    const { id, text, object, response } = await verifiedCallEvent(request, env);
    if (response) {
      return response;
    }
    const claimed = await object.claim(id, text);
    return reply(200, { status: claimed ? "accepted" : "duplicate", event_id: id });
  },
};
