// bench/js-object with the object called as telnyx-edge calls its objects: a `fetch`
// with the event's id in a header and its body, answered by a `Response`, not an RPC
// method. The difference between the two is what the hop's HTTP form costs.

import { DurableObject } from "cloudflare:workers";
import { reply, verifiedCallEvent } from "../common/verified.js";

export class CallObject extends DurableObject {
  constructor(ctx, env) {
    super(ctx, env);
    ctx.storage.sql.exec("CREATE TABLE IF NOT EXISTS events (id TEXT PRIMARY KEY, body TEXT NOT NULL)");
  }

  async fetch(request) {
    const id = request.headers.get("x-event-id");
    const text = await request.text();
    const inserted = this.ctx.storage.sql
      .exec("INSERT INTO events (id, body) VALUES (?, ?) ON CONFLICT DO NOTHING RETURNING 1", id, text)
      .toArray();
    return new Response(null, { status: 200, headers: { "x-outcome": inserted.length === 1 ? "accepted" : "duplicate" } });
  }
}

export default {
  async fetch(request, env) {
    const { id, text, object, response } = await verifiedCallEvent(request, env);
    if (response) {
      return response;
    }
    const answer = await object.fetch("https://object/deliver", {
      method: "POST",
      headers: { "x-event-id": id },
      body: text,
    });
    const status = answer.headers.get("x-outcome");
    return reply(200, { status, event_id: id });
  },
};
