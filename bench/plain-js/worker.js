// The Telnyx webhook handler a user would write as a plain JavaScript Worker: WebCrypto
// Ed25519 over `timestamp|body` (../shared/verified.js), then KV: a read of the
// `event:{id}` marker for repeats, the event put under its call, the marker put
// (../shared/kv-once.js). No log line.

import { storeOnce } from "../shared/kv-once.js";
import { verifiedEvent } from "../shared/verified.js";

export default {
  async fetch(request, env) {
    const { event, text, response } = await verifiedEvent(request, env);
    return response ?? storeOnce(env, event, text);
  },
};
