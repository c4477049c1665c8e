/**
 * The shared shape of a script's command line: flags read strictly with `node:util` parseArgs,
 * then checked by a Zod schema, ending as "run with these options", "print the help", or a
 * message naming each bad flag.
 */
import { type ParseArgsConfig, parseArgs } from "node:util";
import type { z } from "zod";

/** A parsed command line: run, help, or a message. */
export type CommandLine<T> =
  | { readonly kind: "run"; readonly options: T }
  | { readonly kind: "help" }
  | { readonly kind: "invalid"; readonly message: string };

/** The flags' raw values, or why they could not be read (or that help was asked for). */
export type FlagValues =
  | { readonly kind: "values"; readonly values: Record<string, string | boolean | undefined> }
  | { readonly kind: "help" }
  | { readonly kind: "invalid"; readonly message: string };

/** Reads `argv` strictly against `options` (each a string or boolean flag); `-h`/`--help` is added. */
export function readFlags(argv: readonly string[], options: NonNullable<ParseArgsConfig["options"]>): FlagValues {
  let values: Record<string, string | boolean | undefined>;
  try {
    values = parseArgs({
      args: [...argv],
      strict: true,
      options: { ...options, help: { type: "boolean", short: "h", default: false } },
    }).values as Record<string, string | boolean | undefined>;
  } catch (error) {
    return { kind: "invalid", message: error instanceof Error ? error.message : String(error) };
  }
  return values.help === true ? { kind: "help" } : { kind: "values", values };
}

/**
 * `schema`'s verdict on `input`: its data, or a message with one line per issue, each naming the
 * flag of the field (`flagOf` maps a field name to its flag; default: camelCase to kebab-case).
 */
export function checkFlags<S extends z.ZodType>(
  schema: S,
  input: unknown,
  flagOf: (field: string) => string = kebabFlag,
): { readonly ok: true; readonly data: z.infer<S> } | { readonly ok: false; readonly message: string } {
  const parsed = schema.safeParse(input);
  if (parsed.success) return { ok: true, data: parsed.data };
  const lines = parsed.error.issues.map((i) => `--${flagOf(String(i.path[0] ?? ""))}: ${i.message}`);
  return { ok: false, message: lines.join("\n") };
}

/** `valueBytes` → `value-bytes`. */
export function kebabFlag(field: string): string {
  return field.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
}
