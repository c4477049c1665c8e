/** A small leveled logger writing one line per event to stderr. */

/** Log levels, least to most severe. */
export type LogLevel = "debug" | "info" | "warn" | "error";

const RANK: Record<LogLevel, number> = { debug: 0, info: 1, warn: 2, error: 3 };

/** Logs events with a fixed prefix (usually the node id). */
export interface Logger {
  debug(message: string): void;
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

/** How log lines look: `text` (`time LEVEL [node] message`) or `json` (one object per line). */
export type LogFormat = "text" | "json";

/**
 * A logger that prints events at or above `level` through `write`: as `time LEVEL [prefix]
 * message` lines, or with `format` `json` as one object per line,
 * `{"time","level","node","message"}`, for log collectors.
 */
export function createLogger(
  prefix: string,
  level: LogLevel,
  write: (line: string) => void = (line) => console.error(line),
  format: LogFormat = "text",
): Logger {
  const at = (l: LogLevel) => (message: string) => {
    if (RANK[l] < RANK[level]) return;
    const time = new Date().toISOString();
    if (format === "json") write(JSON.stringify({ time, level: l, node: prefix, message }));
    else write(`${time} ${l.toUpperCase().padEnd(5)} [${prefix}] ${message}`);
  };
  return { debug: at("debug"), info: at("info"), warn: at("warn"), error: at("error") };
}

/** A logger that discards everything (tests). */
export const silentLogger: Logger = { debug() {}, info() {}, warn() {}, error() {} };
