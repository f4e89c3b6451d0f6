/**
 * Dates and times as the pages show and send them: an API instant in the browser's time zone,
 * today as `YYYY-MM-DD`, a local day as the instants of its first and last millisecond, and a
 * duration.
 */

/** "2026-01-02T03:04:05Z" -> "2026-01-02 11:04:05" in the browser's timezone. */
export function formatDateTime(value: string | null | undefined): string {
  if (!value) return '-';
  const date = new Date(value);
  if (Number.isNaN(date.getTime())) return value;
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())} ${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}`;
}

/** Today in the browser as `YYYY-MM-DD`. */
export function todayIso(now: Date = new Date()): string {
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${now.getFullYear()}-${pad(now.getMonth() + 1)}-${pad(now.getDate())}`;
}

/** The start of a local day as an ISO instant ("2026-01-02" in Asia/Shanghai → "2026-01-01T16:00:00.000Z"). */
export function dayStart(day: string): string {
  return new Date(`${day}T00:00:00`).toISOString();
}

/** The last millisecond of a local day as an ISO instant. */
export function dayEnd(day: string): string {
  return new Date(new Date(`${day}T00:00:00`).getTime() + 86_400_000 - 1).toISOString();
}

/** A duration in milliseconds: "850 ms", "12.5 s", "3 min 4 s"; '-' when unknown. */
export function formatDuration(ms: number | null | undefined): string {
  if (ms === null || ms === undefined) return '-';
  if (ms < 1000) return `${ms} ms`;
  const seconds = ms / 1000;
  if (seconds < 60) return `${seconds.toFixed(1)} s`;
  const minutes = Math.floor(seconds / 60);
  return `${minutes} min ${Math.round(seconds - minutes * 60)} s`;
}
