/**
 * The single executable, as the README's "Single binary and containers" section builds and runs it:
 * `scripts/build_binary.ts` writes dist/raftbare-ts-node, the README's lines copy it alone into a
 * fresh home directory (no repository, no node_modules, an environment that names neither) and start
 * three nodes from the copy there, on free loopback ports; the test then checks what they serve — the
 * README's write and read through another node, `/docs` and every file it loads (the bytes of the
 * embedded copies), `/openapi.json`, `/ui` and the files it loads — runs the image's health check
 * against a node, and stops the nodes by pid.
 */
import { afterAll, describe, expect } from "bun:test";
import { execFile } from "node:child_process";
import { readFileSync, readlinkSync, statSync } from "node:fs";
import { join } from "node:path";
import { STATIC_ASSETS } from "../../routes/static_assets.ts";
import { CONFIG_KEYS } from "../../schemas/node_config.ts";
import { BINARY_PATH } from "../../scripts/build_binary/layout.ts";
import { API_VERSION } from "../../src/http/openapi_document.ts";
import { sourceFileOf } from "../../src/http/static_assets.ts";
import { envName, flagName } from "../../src/server/config.ts";
import { httpJson } from "../helpers/http_json.ts";
import { freePortRange } from "../helpers/launcher_process.ts";
import { freePorts, REPO_ROOT } from "../helpers/process_cluster.ts";
import { jsonOf, markedCommands, type Run } from "../helpers/readme_shell.ts";
import { slowIt } from "../helpers/slow_test.ts";
import { BinaryWorld, BUILD_COMMAND, BUILT_BINARY, binaryCommandKind, withoutComment } from "./binary_world.ts";
import { healthcheckShellCommand, onlyInstruction, parseDockerfile } from "./dockerfile.ts";

/** Deadline of the build test: the build is fast on an idle machine, much slower on a loaded one. */
const BUILD_TEST_MS = 360_000;
/** Deadline of the cluster test (a build, if the other test did not run first, and three node starts). */
const CLUSTER_TEST_MS = 480_000;

const README = readFileSync(join(REPO_ROOT, "README.md"), "utf8");
const BUILD_BLOCK = markedCommands(README, "binary-build");
const RUN_BLOCK = markedCommands(README, "binary-run");
const VERSION_LINE = new RegExp(`^raftbare-ts ${API_VERSION.replaceAll(".", "\\.")} \\(bun \\d+\\.\\d+\\.\\d+\\)$`);

/** What `ldd` may list: the kernel's vDSO and glibc's libraries. */
const GLIBC = /^(linux-vdso\.so\.1|\/lib(64)?\/ld-linux-[\w-]+\.so\.\d+|lib(c|m|pthread|dl|rt)\.so\.\d+)$/;

/** Every `src` and `href` of an HTML page. */
function assetUrls(html: string): string[] {
  return [...html.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1]);
}

describe("the single executable (README: Single binary and containers)", () => {
  const world = new BinaryWorld();
  afterAll(() => world.cleanUp(), { timeout: 60_000 });

  slowIt(
    "the README's build writes dist/raftbare-ts-node; it prints its version and --help, and is copied alone",
    async () => {
      expect(withoutComment(BUILD_BLOCK[0])).toBe(BUILD_COMMAND);
      const [build, version] = await world.prepare(BUILD_BLOCK);
      expect(build.stdout).toMatch(
        new RegExp(`^built ${BINARY_PATH}: \\d+\\.\\d MiB, raftbare-ts ${API_VERSION} \\(bun `, "m"),
      );
      expect(version.stdout.trim()).toMatch(VERSION_LINE);
      const copy = join(world.home, "raftbare", "raftbare-ts-node");
      expect(statSync(copy).size).toBe(statSync(BUILT_BINARY).size);
      expect(statSync(copy).size).toBeGreaterThan(50 * 2 ** 20);
      // It links only glibc, which the Dockerfile's Debian slim base has.
      const linked = (await world.run(`ldd ${copy}`)).stdout.match(/^\s*\S+/gm)?.map((l) => l.trim()) ?? [];
      expect(linked.length).toBeGreaterThan(0);
      for (const lib of linked) expect(lib).toMatch(GLIBC);
      const lines = (await world.run(`${copy} --help`)).stdout.split("\n");
      expect(lines[0]).toMatch(VERSION_LINE);
      expect(lines[1]).toBe("usage: raftbare-ts-node --id <id> --cluster-token <token> [options]");
      for (const key of CONFIG_KEYS) expect(lines).toContain(`  --${flagName(key)}  (${envName(key)})`);
    },
    { timeoutMs: BUILD_TEST_MS },
  );

  slowIt(
    "three nodes from the copy alone form a cluster: the README's write and read, /docs and its files, /openapi.json, /ui, the image's health check",
    async () => {
      await world.prepare(BUILD_BLOCK);
      expect(RUN_BLOCK.map(binaryCommandKind)).toEqual([
        "setup",
        "setup",
        "setup",
        "node",
        "node",
        "node",
        "command",
        "command",
        "command",
        "stop",
      ]);
      const base = await freePortRange(3);
      const ports = new Map([7001, 7002, 7003].map((port, i) => [port, base + i]));
      const runs = await world.runBlock(RUN_BLOCK, ports, () => checkServedWhileRunning(world.home, base));
      checkReadmeOutcomes(runs);
      for (const node of world.nodes) {
        expect(node.process.status).toEqual({ code: 0, signal: null });
        expect(node.process.output).toContain("stopping");
      }
    },
    { timeoutMs: CLUSTER_TEST_MS, onFailure: () => console.error(world.nodeOutput()) },
  );

  /** While the nodes run: where they run from, what they serve, and the image's health check. */
  async function checkServedWhileRunning(home: string, port: number): Promise<void> {
    for (const node of world.nodes) {
      expect(readlinkSync(`/proc/${node.process.pid}/exe`)).toBe(join(home, "raftbare", "raftbare-ts-node"));
      expect(readlinkSync(`/proc/${node.process.pid}/cwd`)).toBe(join(home, "raftbare"));
    }
    const url = `http://127.0.0.1:${port + 2}`;
    await checkDocs(url);
    await checkOpenApi(url);
    await checkUi(url);
    await checkHealthcheck(port);
  }
});

/** The README's readiness wait, write and read answered as the README says. */
function checkReadmeOutcomes(runs: readonly Run[]): void {
  const [ready, put, get] = runs;
  const answers = ready.stdout
    .trim()
    .split("\n")
    .map((line) => JSON.parse(line));
  expect(answers.map((a) => a.ready)).toEqual([true, true, true]);
  expect(jsonOf(put).revision).toBeGreaterThan(0);
  expect(jsonOf(get).value).toBe("hello");
}

/** `/docs` answers its page; every file the page loads and every static asset answers with its type and bytes. */
async function checkDocs(url: string): Promise<void> {
  const page = await fetch(`${url}/docs`);
  expect(page.status).toBe(200);
  expect(page.headers.get("content-type")).toContain("text/html");
  const html = await page.text();
  const urls = assetUrls(html);
  expect(urls.length).toBeGreaterThan(0);
  for (const asset of urls) {
    const res = await fetch(`${url}${asset}`);
    expect({ asset, status: res.status }).toEqual({ asset, status: 200 });
    await res.arrayBuffer();
  }
  for (const asset of STATIC_ASSETS) {
    const res = await fetch(`${url}${asset.path}`);
    expect({ path: asset.path, status: res.status }).toEqual({ path: asset.path, status: 200 });
    expect(res.headers.get("content-type")).toBe(asset.contentType);
    const served = new Uint8Array(await res.arrayBuffer());
    const source = new Uint8Array(readFileSync(sourceFileOf(asset)));
    expect({ path: asset.path, bytes: served.byteLength }).toEqual({ path: asset.path, bytes: source.byteLength });
    expect(Buffer.from(served).equals(Buffer.from(source))).toBe(true);
  }
}

/** `/openapi.json` answers the OpenAPI 3.1 document with the key-value operations. */
async function checkOpenApi(url: string): Promise<void> {
  const answer = await httpJson("GET", `${url}/openapi.json`);
  expect(answer.status).toBe(200);
  expect(answer.headers.get("content-type")).toContain("application/json");
  expect(answer.body.openapi).toBe("3.1.0");
  expect(answer.body.info.version).toBe(API_VERSION);
  expect(Object.keys(answer.body.paths)).toContain("/v1/kv/{key}");
}

/** `/ui` answers the dashboard page, and every file the page loads answers too. */
async function checkUi(url: string): Promise<void> {
  const res = await fetch(`${url}/ui`);
  const html = await res.text();
  expect(res.status).toBe(200);
  expect(res.headers.get("content-type")).toContain("text/html");
  const assets = assetUrls(html).filter((a) => a.startsWith("/"));
  expect(assets.length).toBeGreaterThan(0);
  for (const asset of assets) {
    const file = await fetch(`${url}${asset}`);
    const bytes = await file.arrayBuffer();
    expect({ asset, status: file.status, empty: bytes.byteLength === 0 }).toEqual({ asset, status: 200, empty: false });
  }
}

/** The Dockerfile's HEALTHCHECK command passes against a live node and fails against a closed port. */
async function checkHealthcheck(port: number): Promise<void> {
  const dockerfile = parseDockerfile(readFileSync(join(REPO_ROOT, "Dockerfile"), "utf8"));
  const command = healthcheckShellCommand(onlyInstruction(dockerfile, "HEALTHCHECK").args);
  const [closed] = await freePorts(1);
  expect(await healthcheck(command, `0.0.0.0:${port}`)).toBe(0);
  expect(await healthcheck(command, `0.0.0.0:${closed}`)).not.toBe(0);
}

/** The exit code of the health check `command` run by `/bin/sh -c` (as Docker runs the shell form) with `RAFT_LISTEN`. */
function healthcheck(command: string, listen: string): Promise<number> {
  return new Promise((resolve) => {
    const env = { PATH: "/usr/bin:/bin", RAFT_LISTEN: listen };
    execFile("/bin/sh", ["-c", command], { env, timeout: 20_000 }, (error) => {
      resolve(error === null ? 0 : typeof error.code === "number" ? error.code : 1);
    });
  });
}
