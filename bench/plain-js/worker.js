// The Telnyx webhook handler a user would write as a plain JavaScript Worker: WebCrypto
// Ed25519 over `timestamp|body` (../common/verified.js), then KV: a read of the
// `event:{id}` marker for repeats, the event put under its call, the marker put
// (../common/kv-once.js). No log line.

import { storeOnce } from "../common/kv-once.js";
import { verifiedEvent } from "../common/verified.js";

export default {
  async fetch(request, env) {
    const { event, text, response } = await verifiedEvent(request, env);
    return response ?? storeOnce(env, event, text);
  },
};
