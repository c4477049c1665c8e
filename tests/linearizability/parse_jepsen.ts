/**
 * Parses Jepsen's etcd logs (lines `INFO  jepsen.util - P :invoke :write 3`) into kv operations on
 * one key, {@link REGISTER_KEY}: read is get, write is put, cas is cas, values are the numbers'
 * decimal strings, and the register starts absent (nil). Times are line numbers.
 *
 * Completions: `:ok` returns; `:fail :cas` is a cas that found another value (an ok outcome with
 * output false: etcd answered); a `:fail :write` definitely did not apply; `:info` and a `:fail :read`
 * (timed out) are unknown, as is an invocation never completed. Other lines are ignored.
 */
import { HistoryBuilder } from "./history_builder.ts";
import type { KvInput, KvOperation, KvOutput } from "./kv_model.ts";

/** The key of the register. */
export const REGISTER_KEY = "register";

const LINE = /^INFO\s+jepsen\.util\s+-\s+(\d+)\s+:(invoke|ok|fail|info)\s+:(read|write|cas)\s+(.*?)\s*$/;

/** The parts of one relevant line. */
interface JepsenLine {
  readonly process: number;
  readonly type: "invoke" | "ok" | "fail" | "info";
  readonly f: "read" | "write" | "cas";
  readonly value: string;
}

/** Parses one Jepsen etcd log into operations. Throws on a line that breaks the one-at-a-time rule. */
export function parseJepsenLog(text: string): KvOperation[] {
  const builder = new HistoryBuilder<KvInput, KvOutput>();
  text.split("\n").forEach((raw, i) => {
    const match = LINE.exec(raw);
    // Not an operation line (nemesis, setup, blank).
    if (match === null) return;
    const line: JepsenLine = {
      process: Number(match[1]),
      type: match[2] as JepsenLine["type"],
      f: match[3] as JepsenLine["f"],
      value: match[4],
    };
    applyLine(builder, line, i + 1);
  });
  return builder.finish() as KvOperation[];
}

/** Feeds one line at time `time` into `builder`. */
function applyLine(builder: HistoryBuilder<KvInput, KvOutput>, line: JepsenLine, time: number): void {
  const { process } = line;
  if (line.type === "invoke")
    builder.invoke(process, time, { kind: kindOf(line.f), key: REGISTER_KEY, input: inputOf(line) });
  else if (line.type === "ok") builder.complete(process, time, "ok", okOutput(line));
  else if (line.type === "info") builder.complete(process, time, "unknown");
  // A cas that failed found another value: etcd answered.
  else if (line.f === "cas") builder.complete(process, time, "ok", false);
  // A read that timed out tells nothing; a write that failed did not apply.
  else builder.complete(process, time, line.f === "read" ? "unknown" : "failed");
}

function kindOf(f: JepsenLine["f"]): KvInput["kind"] {
  return f === "read" ? "get" : f === "write" ? "put" : "cas";
}

function inputOf(line: JepsenLine): KvInput {
  switch (line.f) {
    case "read":
      return { kind: "get" };
    case "write":
      return { kind: "put", value: integer(line.value) };
    case "cas": {
      const [expect, value] = pair(line.value);
      return { kind: "cas", expect, value };
    }
  }
}

function okOutput(line: JepsenLine): KvOutput {
  if (line.f === "read") return line.value === "nil" ? null : integer(line.value);
  return line.f === "cas" ? true : null;
}

/** A decimal integer, as its canonical string. */
function integer(text: string): string {
  const n = Number(text);
  if (!Number.isSafeInteger(n)) throw new Error(`Cannot parse Jepsen log: ${JSON.stringify(text)} is not an integer`);
  return String(n);
}

/** `[A B]` as two integers. */
function pair(text: string): [string, string] {
  const m = /^\[\s*(-?\d+)\s+(-?\d+)\s*\]$/.exec(text);
  if (m === null) throw new Error(`Cannot parse Jepsen log: ${JSON.stringify(text)} is not a pair [A B]`);
  return [integer(m[1]), integer(m[2])];
}
