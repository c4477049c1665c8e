/**
 * A small leveled logger writing one line per event to stderr. An event may carry fields (an
 * `event` name and values such as a term or an index): the json format adds them to the line's
 * object, the text format appends them as `key=value`. Fields never carry secrets or request bodies.
 */

/** Log levels, least to most severe. */
export type LogLevel = "debug" | "info" | "warn" | "error";

const RANK: Record<LogLevel, number> = { debug: 0, info: 1, warn: 2, error: 3 };

/** The named events a node logs (the `event` field), so log collectors can select them. */
export type LogEvent =
  | "node_started"
  | "address_mismatch"
  | "storage_recovered"
  | "storage_failed"
  | "storage_reopened"
  | "storage_stalled"
  | "storage_fault_hook"
  | "role_changed"
  | "election_started"
  | "inconsistent_peer_input"
  | "config_committed"
  | "member_added"
  | "member_promoted"
  | "member_removed"
  | "leader_transfer"
  | "snapshot_taken"
  | "snapshot_installed"
  | "snapshot_refused"
  | "snapshot_sent"
  | "peer_refused_frame"
  | "forward_failed";

/** A field value: a scalar, or a list of strings (member ids). */
export type LogValue = string | number | boolean | null | readonly string[];

/** What an event carries besides its message; `event` names it. */
export type LogFields = { readonly event?: LogEvent } & { readonly [key: string]: LogValue | undefined };

/** Logs events with a fixed prefix (usually the node id). */
export interface Logger {
  debug(message: string, fields?: LogFields): void;
  info(message: string, fields?: LogFields): void;
  warn(message: string, fields?: LogFields): void;
  error(message: string, fields?: LogFields): void;
}

/** How log lines look: `text` (`time LEVEL [node] message key=value…`) or `json` (one object per line). */
export type LogFormat = "text" | "json";

/** Keys of every json line; a field of the same name is dropped rather than let it overwrite them. */
const RESERVED = new Set(["time", "level", "node", "message"]);

/**
 * A logger that prints events at or above `level` through `write`: as `time LEVEL [prefix]
 * message key=value…` lines, or with `format` `json` as one object per line,
 * `{"time","level","node","message",…fields}`, for log collectors.
 */
export function createLogger(
  prefix: string,
  level: LogLevel,
  write: (line: string) => void = (line) => console.error(line),
  format: LogFormat = "text",
): Logger {
  const at = (l: LogLevel) => (message: string, fields?: LogFields) => {
    if (RANK[l] < RANK[level]) return;
    const time = new Date().toISOString();
    if (format === "json") write(jsonLine({ time, level: l, node: prefix, message }, fields));
    else write(`${time} ${l.toUpperCase().padEnd(5)} [${prefix}] ${message}${textFields(fields)}`);
  };
  return { debug: at("debug"), info: at("info"), warn: at("warn"), error: at("error") };
}

function jsonLine(head: Record<string, LogValue>, fields: LogFields | undefined): string {
  if (fields === undefined) return JSON.stringify(head);
  const line: Record<string, LogValue> = { ...head };
  for (const [key, value] of Object.entries(fields)) {
    if (value !== undefined && !RESERVED.has(key)) line[key] = value;
  }
  return JSON.stringify(line);
}

/** ` key=value` per field; a value with spaces, quotes, `=` or newlines is quoted as a JSON string. */
function textFields(fields: LogFields | undefined): string {
  if (fields === undefined) return "";
  let out = "";
  for (const [key, value] of Object.entries(fields)) {
    if (value === undefined || RESERVED.has(key)) continue;
    const text = Array.isArray(value) ? value.join(",") : String(value);
    out += ` ${key}=${/^[^\s"=\\]+$/.test(text) ? text : JSON.stringify(text)}`;
  }
  return out;
}

/** A logger that discards everything (tests). */
export const silentLogger: Logger = { debug() {}, info() {}, warn() {}, error() {} };
