/** Returned by a command that already queued its own reply (it must run code right after the reply). */
export const REPLIED = Symbol('replied');
