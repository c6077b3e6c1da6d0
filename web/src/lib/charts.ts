// Turning the analytics API's numbers into chart series.

/** toUnixDays turns "YYYY-MM-DD" UTC dates into unix seconds at midnight UTC. */
export function toUnixDays(dates: string[]): number[] {
  return dates.map((d) => Date.parse(d + "T00:00:00Z") / 1000);
}

/** dayLabel writes unix seconds as a short UTC date, "Dec 5". */
export function dayLabel(unix: number): string {
  return new Date(unix * 1000).toLocaleDateString(undefined, { month: "short", day: "numeric", timeZone: "UTC" });
}

/** retentionCurve turns viewers-per-second into percent of the starting audience; empty without views. */
export function retentionCurve(viewers: number[]): { x: number[]; pct: number[] } {
  const start = viewers[0] ?? 0;
  if (start <= 0) return { x: [], pct: [] };
  return { x: viewers.map((_, i) => i), pct: viewers.map((v) => Math.min(100, (v / start) * 100)) };
}
