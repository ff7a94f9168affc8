// bench/js-object/ plus the one durable thing a call's object needs to finish a call's
// work when its instance goes: an alarm. A new call's first claim also sets the
// object's alarm, as telnyx-edge's first webhook sets its backstop; set a week on, so
// none fires while the bench runs (the alarm does nothing). Beside js-object it shows
// what that alarm costs a new call in this runtime.

import { CallObject as ClaimingObject } from "../js-object/worker.js";

export { default } from "../js-object/worker.js";

const WEEK_MS = 7 * 24 * 60 * 60 * 1000;

export class CallObject extends ClaimingObject {
  constructor(ctx, env) {
    // Whether the object is new: read before its table is made, as telnyx-edge reads
    // its tables before making them.
    const tables = ctx.storage.sql.exec("SELECT name FROM sqlite_master WHERE name = 'events'");
    const fresh = tables.toArray().length === 0;
    super(ctx, env);
    this.fresh = fresh;
  }

  async claim(id, text) {
    const claimed = super.claim(id, text);
    if (claimed && this.fresh) {
      this.fresh = false;
      await this.ctx.storage.setAlarm(Date.now() + WEEK_MS);
    }
    return claimed;
  }

  async alarm() {}
}
