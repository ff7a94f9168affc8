// The Telnyx webhook handler a user would write with the official Telnyx SDK (npm
// `telnyx`, pinned in the project's package.json): `client.webhooks.unwrap` verifies
// the Ed25519 signature over `timestamp|body` (WebCrypto, the key imported on every
// call), refuses a timestamp more than 300 s away and parses the body; then the same
// KV work as plain-js (../common/kv-once.js). No log line. wrangler bundles the SDK
// with esbuild; bench/README.md says what that needs.

import Telnyx, { TelnyxError } from "telnyx";
import { storeOnce } from "../common/kv-once.js";
import { notAWebhook, reply } from "../common/verified.js";

let client;

export default {
  async fetch(request, env) {
    const response = notAWebhook(request);
    if (response) {
      return response;
    }
    // One client per isolate. Verifying needs no API key; the SDK only keeps it.
    client ??= new Telnyx({ apiKey: null, publicKey: env.TELNYX_PUBLIC_KEY });
    const text = await request.text();
    let event;
    try {
      // unwrap reads the headers from a plain object, not a Headers.
      event = await client.webhooks.unwrap(text, { headers: Object.fromEntries(request.headers) });
    } catch (error) {
      // The SDK's verification errors are TelnyxErrors; a body that is not JSON throws
      // JSON.parse's SyntaxError once the signature is good.
      if (error instanceof TelnyxError) {
        return reply(401, { errors: [{ code: "invalid_signature", detail: error.message }] });
      }
      return reply(400, { errors: [{ code: "invalid_envelope" }] });
    }
    return storeOnce(env, event, text);
  },
};
