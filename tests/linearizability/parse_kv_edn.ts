/**
 * Parses Porcupine's `kv` test histories, one EDN map a line:
 * `{:process 0, :type :invoke, :f :append, :key "4", :value "x 0 1 y"}`. Times are line numbers.
 * `:ok` returns (a get's value is the key's, "" when absent); `:fail` did not apply; `:info`, or an
 * invocation never completed, is unknown.
 */
import type { AppendInput, AppendOperation, AppendOutput } from "./append_model.ts";
import { HistoryBuilder } from "./history_builder.ts";

const LINE =
  /^\{:process (\d+), :type :(invoke|ok|fail|info), :f :(get|put|append), :key ("(?:[^"\\]|\\.)*"), :value ("(?:[^"\\]|\\.)*"|nil)\}$/;

/** Parses one history; throws on a line it does not understand. */
export function parseKvEdn(text: string): AppendOperation[] {
  const builder = new HistoryBuilder<AppendInput, AppendOutput>();
  text.split("\n").forEach((raw, i) => {
    const line = raw.trim();
    // Blank lines separate nothing.
    if (line === "") return;
    const m = LINE.exec(line);
    if (m === null) throw new Error(`Cannot parse kv history line ${i + 1}: ${JSON.stringify(line)}`);
    const [process, type, f, key, value] = [Number(m[1]), m[2], m[3] as AppendInput["kind"], ednString(m[4]), m[5]];
    const time = i + 1;
    if (type === "invoke") builder.invoke(process, time, { kind: f, key, input: inputOf(f, value) });
    else if (type === "ok") builder.complete(process, time, "ok", f === "get" ? ednString(value) : null);
    else builder.complete(process, time, type === "fail" ? "failed" : "unknown");
  });
  return builder.finish() as AppendOperation[];
}

function inputOf(f: AppendInput["kind"], value: string): AppendInput {
  return f === "get" ? { kind: "get" } : { kind: f, value: ednString(value) };
}

/** An EDN string literal's value (its escapes are JSON's for the characters these files use). */
function ednString(literal: string): string {
  if (literal === "nil") throw new Error("Cannot parse kv history: expected a string, got nil");
  return JSON.parse(literal) as string;
}
