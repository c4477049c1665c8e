/** Reads the node configuration from command-line flags and environment variables. */
import { readFileSync } from "node:fs";
import type { z } from "zod";
import { CONFIG_KEYS, type NodeConfig, NodeConfigSchema } from "../../schemas/node_config.ts";

/** `clusterToken` → `cluster-token`. */
export function flagName(key: string): string {
  return key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
}

/** `clusterToken` → `RAFT_CLUSTER_TOKEN`. */
export function envName(key: string): string {
  return `RAFT_${flagName(key).replaceAll("-", "_").toUpperCase()}`;
}

/** Parses `--name value` and `--name=value` flags of `keys` (default: the node's); unknown flags are errors. */
export function parseFlags(
  argv: readonly string[],
  keys: readonly string[] = CONFIG_KEYS,
): { values: Record<string, string>; errors: string[] } {
  const byFlag = new Map(keys.map((k) => [flagName(k), k]));
  const values: Record<string, string> = {};
  const errors: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (!arg.startsWith("--")) {
      errors.push(`unexpected argument '${arg}'`);
      continue;
    }
    const eq = arg.indexOf("=");
    const name = eq > 0 ? arg.slice(2, eq) : arg.slice(2);
    const key = byFlag.get(name);
    if (key === undefined) {
      errors.push(`unknown flag --${name}`);
      continue;
    }
    const value = eq > 0 ? arg.slice(eq + 1) : argv[++i];
    if (value === undefined) errors.push(`flag --${name} needs a value`);
    else values[key] = value;
  }
  return { values, errors };
}

/** The outcome of loading the configuration: the config, or every problem found, one per line. */
export type LoadedConfig = Loaded<NodeConfig>;

/** The outcome of loading settings: the settings, or every problem found, one per line. */
export type Loaded<T> = { ok: true; config: T } | { ok: false; errors: string[] };

/** Loads the node configuration: flags override environment variables (`RAFT_*`). */
export function loadConfig(argv: readonly string[], env: Record<string, string | undefined>): LoadedConfig {
  return loadSettings(NodeConfigSchema, CONFIG_KEYS, argv, env);
}

/** Loads the settings `keys` of `schema` from flags and environment variables (flags win), as the node does. */
export function loadSettings<T>(
  schema: z.ZodType<T>,
  keys: readonly string[],
  argv: readonly string[],
  env: Record<string, string | undefined>,
): Loaded<T> {
  const flags = parseFlags(argv, keys);
  const raw: Record<string, string> = {};
  for (const key of keys) {
    const value = flags.values[key] ?? env[envName(key)];
    if (value !== undefined && value !== "") raw[key] = value;
  }
  const fileErrors = readSecretFiles(raw, keys);
  const parsed = schema.safeParse(raw);
  if (flags.errors.length > 0 || fileErrors.length > 0 || !parsed.success) {
    const issues = parsed.success
      ? []
      : parsed.error.issues.map((i) => {
          const key = String(i.path[0] ?? "");
          return key === "" ? i.message : `--${flagName(key)} (${envName(key)}): ${i.message}`;
        });
    return { ok: false, errors: [...flags.errors, ...fileErrors, ...issues] };
  }
  return { ok: true, config: parsed.data };
}

/** Longest secret file read (a token is short; anything longer is a mistake). */
const MAX_SECRET_FILE_BYTES = 4096;

/**
 * For every setting `xFile` among `keys` whose `x` is also among them, reads the file (trimmed) into `x`, so a
 * token need not appear on the command line, where `ps` shows it. Giving both `x` and `xFile` is an
 * error. Returns the problems found.
 */
function readSecretFiles(raw: Record<string, string>, keys: readonly string[]): string[] {
  const errors: string[] = [];
  for (const fileKey of keys) {
    if (!fileKey.endsWith("File") || raw[fileKey] === undefined) continue;
    const key = fileKey.slice(0, -"File".length);
    if (!keys.includes(key)) continue; // A file setting of its own (say --tls-cert-file), not a secret's.
    const path = raw[fileKey];
    delete raw[fileKey];
    if (raw[key] !== undefined) {
      errors.push(`--${flagName(key)} and --${flagName(fileKey)} are both given; give one`);
      continue;
    }
    try {
      const bytes = readFileSync(path);
      if (bytes.byteLength > MAX_SECRET_FILE_BYTES) {
        errors.push(
          `--${flagName(fileKey)} (${envName(fileKey)}): ${path} is larger than ${MAX_SECRET_FILE_BYTES} bytes`,
        );
        continue;
      }
      raw[key] = new TextDecoder().decode(bytes).trim();
    } catch (error) {
      const why = error instanceof Error ? error.message : String(error);
      errors.push(`--${flagName(fileKey)} (${envName(fileKey)}): cannot read ${path}: ${why}`);
    }
  }
  return errors;
}
