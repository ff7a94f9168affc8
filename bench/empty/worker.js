// The floor for `make bench`: answers every request at once, touching nothing, so the
// table shows what workerd and `wrangler dev` cost per request on their own.
export default {
  async fetch() {
    return new Response('{"status":"accepted"}', { headers: { "content-type": "application/json" } });
  },
};
