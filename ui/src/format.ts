/** Text the dashboard shows: ages, times, indexes and the client's errors. Pure functions. */
import type { ClientError } from "./api.ts";

/** `12:00:03` in the browser's local time. */
export function clockTime(ms: number): string {
  const d = new Date(ms);
  return [d.getHours(), d.getMinutes(), d.getSeconds()].map((n) => String(n).padStart(2, "0")).join(":");
}

/** A duration for people: `350 ms`, `4.2 s`, `3 min 20 s`, `2 h 5 min`. */
export function duration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return "?";
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  const s = Math.floor(ms / 1000);
  if (s < 3600) return `${Math.floor(s / 60)} min ${s % 60} s`;
  return `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min`;
}

/** A number, or an em dash for null. */
export function orDash(value: number | null | undefined): string {
  return value === null || value === undefined ? "—" : String(value);
}

/** A byte count: `812 B`, `4.1 KiB`, `2.3 MiB`. */
export function bytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
  return `${(n / 1024 / 1024).toFixed(1)} MiB`;
}

/** `unauthorized (HTTP 401): No valid bearer token…` — the code, the status when a node answered, and the message. */
export function errorLine(error: ClientError): string {
  const status = error.status === undefined ? "" : ` (HTTP ${error.status})`;
  return `${error.code}${status}: ${error.message}`;
}

/** What `definite` means for an action that failed. */
export function definiteText(error: ClientError): string {
  return error.definite
    ? "definite: true — it certainly did not take effect; safe to retry"
    : "definite: false — it may still take effect; check the cluster before retrying";
}

/** True when the node refused the token (or wanted one). */
export function isUnauthorized(error: ClientError): boolean {
  return error.code === "unauthorized" || error.status === 401;
}

/** True when the token may read but not administer. */
export function isForbidden(error: ClientError): boolean {
  return error.code === "forbidden" || error.status === 403;
}
