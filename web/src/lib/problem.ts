// Problem documents (RFC 9457) as the API sends them, and what the UI does
// with them: field errors beside their fields, the rest as one message.

export interface FieldError {
  field: string;
  message: string;
}

export interface Problem {
  type: string;
  title: string;
  status: number;
  code: string;
  detail?: string;
  errors?: FieldError[];
}

/** ApiError is a failed API call: the server's problem, or code "network". */
export class ApiError extends Error {
  readonly problem: Problem;
  /** retryAfterMs is the server's Retry-After in milliseconds, or null. */
  readonly retryAfterMs: number | null;

  constructor(problem: Problem, retryAfter: string | null = null) {
    super(problem.detail || problem.title || problem.code);
    this.name = "ApiError";
    this.problem = problem;
    this.retryAfterMs = parseRetryAfter(retryAfter, Date.now());
  }

  get code(): string {
    return this.problem.code;
  }

  get status(): number {
    return this.problem.status;
  }
}

/**
 * parseRetryAfter reads a Retry-After header (delay-seconds or an HTTP date)
 * as milliseconds from now, or null when absent or unreadable.
 */
export function parseRetryAfter(value: string | null, now: number): number | null {
  if (value === null || value.trim() === "") return null;
  const v = value.trim();
  if (/^\d+$/.test(v)) return Number(v) * 1000;
  const at = Date.parse(v);
  if (Number.isNaN(at)) return null;
  return Math.max(0, at - now);
}

/**
 * fieldErrors maps each field a problem names to its first message, with the
 * field names as the API writes them ("skus[0].price"). A prefix is cut from
 * each name when given, so a nested form can pick its own ("shipping.").
 */
export function fieldErrors(p: Problem | undefined, prefix = ""): Record<string, string> {
  const out: Record<string, string> = {};
  for (const e of p?.errors ?? []) {
    if (!e.field.startsWith(prefix)) continue;
    const name = e.field.slice(prefix.length);
    if (!(name in out)) out[name] = e.message;
  }
  return out;
}

/**
 * message is the one line to show for an error that no field owns: the
 * problem's detail, or a generic sentence for anything else.
 */
export function message(err: unknown): string {
  if (err instanceof ApiError) return err.problem.detail || err.problem.title || "Something went wrong.";
  return "Something went wrong. Please try again.";
}

/** unclaimed lists the field errors whose field is not among shown. */
export function unclaimed(p: Problem | undefined, shown: readonly string[]): FieldError[] {
  return (p?.errors ?? []).filter((e) => !shown.includes(e.field));
}
