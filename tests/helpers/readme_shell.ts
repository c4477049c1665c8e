/** Running the README's curl lines as a user would: pick them out, point them at a test cluster, run them in a shell. */
import { execFile } from "node:child_process";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { blockCommands } from "./guide_blocks.ts";

/** The lines of the README between `<!-- NAME:start -->` and `<!-- NAME:end -->`. */
function markedLines(readme: string, name: string): string[] {
  const start = readme.indexOf(`<!-- ${name}:start -->`);
  const end = readme.indexOf(`<!-- ${name}:end -->`);
  if (start < 0 || end < start) throw new Error(`the README has no ${name} markers`);
  return readme.slice(start, end).split("\n");
}

/** The `curl` lines of the README between `<!-- NAME:start -->` and `<!-- NAME:end -->` (default `walkthrough`). */
export function walkthroughCommands(readme: string, name = "walkthrough"): string[] {
  return markedLines(readme, name)
    .map((line) => line.trim())
    .filter((line) => line.startsWith("curl "));
}

/**
 * Every command of the README's `sh` blocks between `<!-- NAME:start -->` and `<!-- NAME:end -->`, in
 * order: lines joined across trailing backslashes, without blank lines, comments and fences.
 */
export function markedCommands(readme: string, name: string): string[] {
  return blockCommands(markedLines(readme, name).filter((line) => !/^\s*(```|<!--)/.test(line)));
}

/**
 * The lines of the README's block between the markers that set the shell up for its curl lines
 * (such as `TOKEN="$(cat data/admin-token)"`): every line that is neither a curl line, a comment
 * nor a fence.
 */
export function setupLines(readme: string, name = "walkthrough"): string[] {
  return markedLines(readme, name)
    .map((line) => line.trim())
    .filter((line) => line !== "" && !line.startsWith("curl ") && !line.startsWith("#") && !line.startsWith("```"))
    .filter((line) => !line.startsWith("<!--"));
}

/**
 * A fresh directory laid out as the repository root after `npm start`, as far as the README's
 * lines read it: `data/admin-token` holding `adminToken`. Run the README's lines there.
 */
export function readmeTokenDir(adminToken: string): string {
  const dir = mkdtempSync(join(tmpdir(), "raftbare-readme-"));
  mkdirSync(join(dir, "data"));
  writeFileSync(join(dir, "data", "admin-token"), `${adminToken}\n`, { mode: 0o600 });
  return dir;
}

/** `command` with each README port (7001…) replaced by the port `ports` maps it to, and a time limit. */
export function localize(command: string, ports: ReadonlyMap<number, number>): string {
  const rewritten = command.replace(/127\.0\.0\.1:(\d+)/g, (_all, port: string) => {
    const mapped = ports.get(Number(port));
    if (mapped === undefined) throw new Error(`unexpected port ${port} in: ${command}`);
    return `127.0.0.1:${mapped}`;
  });
  return rewritten.replace(/^curl /, "curl --max-time 10 ");
}

/** The outcome of one shell command. */
export interface Run {
  readonly command: string;
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Where and after what a README line runs: its block's {@link setupLines}, in a {@link readmeTokenDir}. */
export interface ReadmeShell {
  readonly setup: readonly string[];
  readonly cwd: string;
}

/**
 * Runs `command` with `sh -c` (the README lines use shell quoting); with `shell`, after its setup
 * lines and in its directory. Never rejects.
 */
export function runShell(command: string, shell?: ReadmeShell): Promise<Run> {
  const script = shell === undefined ? command : [...shell.setup, command].join("\n");
  return new Promise((resolve) => {
    execFile("sh", ["-c", script], { timeout: 20_000, cwd: shell?.cwd }, (error, stdout, stderr) => {
      const code = error === null ? 0 : typeof error.code === "number" ? error.code : 1;
      resolve({ command, code, stdout, stderr });
    });
  });
}

/** The JSON a command printed (fails the test with the command and its output if it is not JSON). */
// biome-ignore lint/suspicious/noExplicitAny: the walkthrough prints arbitrary JSON.
export function jsonOf(run: Run): any {
  try {
    return JSON.parse(run.stdout);
  } catch {
    throw new Error(
      `expected JSON from: ${run.command}\nexit ${run.code}\nstdout: ${run.stdout}\nstderr: ${run.stderr}`,
    );
  }
}

/** Status code and headers (lower-case names) of a `curl -i` answer. */
export function headOf(run: Run): { status: number; headers: Map<string, string> } {
  const [statusLine, ...lines] = run.stdout.split(/\r?\n\r?\n/)[0].split(/\r?\n/);
  const status = Number(/^HTTP\/[\d.]+ (\d{3})/.exec(statusLine)?.[1] ?? Number.NaN);
  const headers = new Map<string, string>();
  for (const line of lines) {
    const colon = line.indexOf(":");
    if (colon > 0) headers.set(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim());
  }
  return { status, headers };
}
