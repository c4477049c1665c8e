/** Running the README's curl lines as a user would: pick them out, point them at a test cluster, run them in a shell. */
import { execFile } from "node:child_process";

/** The `curl` lines of the README between `<!-- NAME:start -->` and `<!-- NAME:end -->` (default `walkthrough`). */
export function walkthroughCommands(readme: string, name = "walkthrough"): string[] {
  const start = readme.indexOf(`<!-- ${name}:start -->`);
  const end = readme.indexOf(`<!-- ${name}:end -->`);
  if (start < 0 || end < start) throw new Error(`the README has no ${name} markers`);
  return readme
    .slice(start, end)
    .split("\n")
    .map((line) => line.trim())
    .filter((line) => line.startsWith("curl "));
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

/** Runs `command` with `sh -c` (the README lines use shell quoting); never rejects. */
export function runShell(command: string): Promise<Run> {
  return new Promise((resolve) => {
    execFile("sh", ["-c", command], { timeout: 20_000 }, (error, stdout, stderr) => {
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
