/**
 * Text rendering for reports: an interval as a bar on a fixed-width time axis, and a table with
 * left-aligned columns.
 */

/** A time axis from `start` to `end` drawn `width` characters wide. */
export interface Axis {
  readonly start: number;
  readonly end: number;
  readonly width: number;
}

/** The column of time `t` on `axis` (clamped to the axis). */
function column(axis: Axis, t: number): number {
  if (axis.end <= axis.start) return 0;
  const x = Math.floor(((t - axis.start) / (axis.end - axis.start)) * (axis.width - 1));
  return Math.min(axis.width - 1, Math.max(0, x));
}

/**
 * The interval from `call` to `ret` as `[====]` on `axis`; an infinite `ret` (unknown outcome)
 * runs to the axis end as `[====>`; one that fits in a column is `|`.
 */
export function bar(axis: Axis, call: number, ret: number): string {
  const from = column(axis, call);
  const open = ret === Number.POSITIVE_INFINITY;
  const to = open ? axis.width - 1 : Math.max(from, column(axis, ret));
  const cells = Array.from({ length: axis.width }, (_, x) => {
    if (x < from || x > to) return " ";
    if (x === from && x === to) return open ? ">" : "|";
    if (x === from) return "[";
    if (x === to) return open ? ">" : "]";
    return "=";
  });
  return cells.join("").trimEnd();
}

/** Rows of cells as text lines, each column padded to its widest cell, prefixed by `indent`. */
export function table(rows: readonly (readonly string[])[], indent = "  "): string[] {
  const widths: number[] = [];
  for (const row of rows) {
    row.forEach((cell, i) => {
      widths[i] = Math.max(widths[i] ?? 0, cell.length);
    });
  }
  return rows.map(
    (row) =>
      indent +
      row
        .map((cell, i) => cell.padEnd(widths[i]))
        .join("  ")
        .trimEnd(),
  );
}

/** A time for a report: `∞` for infinity, else the number (at most 3 decimals). */
export function formatTime(t: number): string {
  if (t === Number.POSITIVE_INFINITY) return "∞";
  return Number.isInteger(t) ? String(t) : t.toFixed(3).replace(/0+$/, "");
}

/** `s` cut to at most `max` characters, marking a cut with `…`. */
export function truncate(s: string, max: number): string {
  return s.length <= max ? s : `${s.slice(0, max - 1)}…`;
}
