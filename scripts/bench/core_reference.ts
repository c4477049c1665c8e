/**
 * The core benchmark's reference: raftbare 0.1.1 (Rust, release build) driven by the harness in
 * scripts/bench_core_ref, built and run by the benchmark itself so that both sides are measured
 * in the same run. The crate comes from crates.io, or from a local checkout of raftbare at tag
 * 0.1.1 (`--raftbare-src <dir>` or RAFTBARE_SRC) on a machine without access to crates.io.
 * When neither works, the benchmark falls back to the figures documented for this machine kind.
 */
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { homedir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const HERE = fileURLToPath(new URL(".", import.meta.url));

/** The reference harness's crate. */
export const REFERENCE_CRATE_DIR = resolve(HERE, "..", "bench_core_ref");

/** Where cargo builds it (ignored by git). */
const TARGET_DIR = resolve(HERE, "..", "..", ".tmp", "bench_core_ref");

/**
 * raftbare 0.1.1 as measured on this machine kind when the core was designed (medians of 3 sets
 * of 5-7 runs): 0.74-0.94 µs per command one at a time, 0.15-0.17 µs in batches of 1000. Used
 * only when the reference cannot be built.
 */
export const DOCUMENTED_US = { single: 0.84, batch: 0.16 } as const;

/** A built reference harness, or why there is none. */
export type ReferenceBuild =
  | { readonly ok: true; readonly binary: string; readonly source: string }
  | { readonly ok: false; readonly why: string };

/** The cargo executable: on PATH, else where rustup installs it. */
function cargoPath(): string | null {
  for (const candidate of ["cargo", join(homedir(), ".cargo", "bin", "cargo")]) {
    const probe = spawnSync(candidate, ["--version"], { encoding: "utf8" });
    if (probe.status === 0) return candidate;
  }
  return null;
}

/** Null if `dir` is a raftbare 0.1.1 source tree; otherwise what is wrong with it. */
export function checkRaftbareSource(dir: string): string | null {
  const manifest = join(dir, "Cargo.toml");
  if (!existsSync(manifest)) return `${dir} has no Cargo.toml`;
  const text = readFileSync(manifest, "utf8");
  if (!/^name\s*=\s*"raftbare"\s*$/m.test(text)) return `${dir} is not the raftbare crate`;
  const version = /^version\s*=\s*"([^"]+)"\s*$/m.exec(text)?.[1];
  if (version !== "0.1.1") return `${dir} holds raftbare ${version ?? "(no version)"}, not 0.1.1`;
  return null;
}

/**
 * Builds the reference harness (release). With `raftbareSrc`, the crates.io dependency is
 * patched to that checkout and cargo runs offline (raftbare 0.1.1 has no dependencies).
 */
export function buildReference(raftbareSrc: string | undefined): ReferenceBuild {
  const cargo = cargoPath();
  if (cargo === null) return { ok: false, why: "cargo was not found (install Rust with rustup)" };
  const args = ["build", "--release", "--quiet", "--manifest-path", join(REFERENCE_CRATE_DIR, "Cargo.toml")];
  args.push("--target-dir", TARGET_DIR);
  let source = "raftbare 0.1.1 from crates.io";
  if (raftbareSrc !== undefined) {
    const dir = resolve(raftbareSrc);
    const problem = checkRaftbareSource(dir);
    if (problem !== null) return { ok: false, why: problem };
    args.push("--offline", "--config", `patch.crates-io.raftbare.path=${JSON.stringify(dir)}`);
    source = "raftbare 0.1.1 from a local checkout";
  }
  const built = spawnSync(cargo, args, { encoding: "utf8" });
  if (built.status !== 0) {
    const tail = `${built.stderr ?? ""}`.trim().split("\n").slice(-3).join(" | ");
    return { ok: false, why: `cargo build failed (${source}): ${tail}` };
  }
  return { ok: true, binary: join(TARGET_DIR, "release", "bench_core_ref"), source };
}

/** Runs the reference once: `commands` commands in batches of `batch`; returns µs per command. */
export function runReference(binary: string, commands: number, batch: number): number {
  const run = spawnSync(binary, [String(commands), String(batch), "1"], { encoding: "utf8" });
  if (run.status !== 0) throw new Error(`the reference harness failed: ${run.stderr}`);
  const line = run.stdout.trim().split("\n").pop() ?? "";
  const parsed = JSON.parse(line) as { nsPerCommand?: unknown };
  if (typeof parsed.nsPerCommand !== "number" || !(parsed.nsPerCommand > 0)) {
    throw new Error(`the reference harness printed ${line}`);
  }
  return parsed.nsPerCommand / 1000;
}
