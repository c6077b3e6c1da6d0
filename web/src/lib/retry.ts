// Retrying a request that may not have been done: the same request, with
// the same Idempotency-Key, after the wait the server asked for.
import { ApiError } from "./problem";

export interface RetryOptions {
  /** attempts is the most tries in all, the first included. */
  attempts?: number;
  /** baseDelayMs is the first wait when the server names none; it doubles. */
  baseDelayMs?: number;
  /** maxDelayMs caps any one wait, the server's included. */
  maxDelayMs?: number;
  sleep?: (ms: number) => Promise<void>;
  /** onWait is told before each wait, to show "retrying in 3 s". */
  onWait?: (ms: number, attempt: number) => void;
}

/**
 * retryable says whether trying again could give another answer: the
 * network failed, the server was unavailable or asked us to slow down, or
 * the same key is still being worked on. Anything else is the answer.
 */
export function retryable(err: unknown): boolean {
  if (!(err instanceof ApiError)) return false;
  const { status, code } = err.problem;
  return status === 0 || status === 429 || status === 502 || status === 503 || status === 504 || code === "idempotency_key_in_progress";
}

const realSleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/**
 * withRetry calls send until it succeeds, fails for good, or runs out of
 * attempts; it waits Retry-After when the server sends one, else backs off.
 */
export async function withRetry<T>(send: () => Promise<T>, opts: RetryOptions = {}): Promise<T> {
  const attempts = opts.attempts ?? 4;
  const base = opts.baseDelayMs ?? 500;
  const cap = opts.maxDelayMs ?? 10_000;
  const sleep = opts.sleep ?? realSleep;
  for (let attempt = 1; ; attempt++) {
    try {
      return await send();
    } catch (err) {
      if (attempt >= attempts || !retryable(err)) throw err;
      const asked = err instanceof ApiError ? err.retryAfterMs : null;
      const wait = Math.min(cap, asked ?? base * 2 ** (attempt - 1));
      opts.onWait?.(wait, attempt);
      await sleep(wait);
    }
  }
}
