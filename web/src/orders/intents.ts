// The browser's idempotency keys, kept in localStorage so that a purchase
// retried after a reload is recognised by the server as the same purchase.
import { IntentKeys } from "../lib/idempotency";

export const intents = new IntentKeys(localStorage);
intents.sweep();
