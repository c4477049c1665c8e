/**
 * compose.yaml read for tests that run no Docker engine: the YAML parsed (anchors and merge keys
 * resolved) by Bun's parser, and the shape this project's file uses checked by a Zod schema.
 */
import { execFileSync } from "node:child_process";
import { join } from "node:path";
import { z } from "zod";
import { REPO_ROOT } from "../helpers/process_cluster.ts";

/** One service, in the forms compose.yaml uses (lists for command, ports, volumes and secrets; a map for the environment). */
const ServiceSchema = z.object({
  image: z.string(),
  build: z.string(),
  restart: z.string(),
  command: z.array(z.string()),
  environment: z.record(z.string(), z.string()),
  ports: z.array(z.string()),
  volumes: z.array(z.string()),
  secrets: z.array(z.string()),
});

/** The parts of compose.yaml the tests check. */
const ComposeSchema = z.object({
  name: z.string(),
  services: z.record(z.string(), ServiceSchema),
  volumes: z.record(z.string(), z.null()),
  secrets: z.record(z.string(), z.object({ file: z.string() })),
});

/** A compose file as the tests see it. */
export type ComposeFile = z.infer<typeof ComposeSchema>;
/** One service of it. */
export type ComposeService = z.infer<typeof ServiceSchema>;

/** `text` parsed as YAML by Bun (in a `bun` child process when the tests run on Deno). */
function parseYaml(text: string): unknown {
  if (typeof Bun !== "undefined") return Bun.YAML.parse(text);
  const script = "process.stdout.write(JSON.stringify(Bun.YAML.parse(await Bun.stdin.text())))";
  const bun = join(REPO_ROOT, "node_modules", ".bin", "bun");
  return JSON.parse(execFileSync(bun, ["-e", script], { input: text, encoding: "utf8", timeout: 60_000 }));
}

/** `text` as a compose file of the expected shape (throws, naming every mismatch, otherwise). */
export function parseCompose(text: string): ComposeFile {
  const parsed = ComposeSchema.safeParse(parseYaml(text));
  if (!parsed.success) throw new Error(`compose.yaml has an unexpected shape:\n${z.prettifyError(parsed.error)}`);
  return parsed.data;
}

/** A `ports` entry `HOST_IP:HOST_PORT:CONTAINER_PORT`. */
export function portMapping(entry: string): { hostIp: string; hostPort: number; containerPort: number } {
  const match = /^(\d+\.\d+\.\d+\.\d+):(\d+):(\d+)$/.exec(entry);
  if (match === null) throw new Error(`expected HOST_IP:HOST_PORT:CONTAINER_PORT, got '${entry}'`);
  return { hostIp: match[1], hostPort: Number(match[2]), containerPort: Number(match[3]) };
}

/** A `volumes` entry `VOLUME:TARGET`. */
export function volumeMount(entry: string): { volume: string; target: string } {
  const match = /^([A-Za-z0-9][A-Za-z0-9_.-]*):(\/\S*)$/.exec(entry);
  if (match === null) throw new Error(`expected NAMED_VOLUME:/path, got '${entry}'`);
  return { volume: match[1], target: match[2] };
}
