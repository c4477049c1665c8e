// The core's npm package as a user gets it: the README's commands build and pack it, the tarball
// installs offline into an empty project, and the README's example runs there on plain Node.js
// (no TypeScript) and prints what the README says; a TypeScript consumer type-checks against the
// packed declarations.
import { describe, expect, it } from "bun:test";
import { copyFileSync, existsSync, lstatSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { installTarball } from "../../scripts/pack/npm.ts";
import { expectSuccess, runProcess } from "../../scripts/pack/run_process.ts";
import { blockCommands } from "../helpers/guide_blocks.ts";
import { REPO_ROOT } from "../helpers/process_cluster.ts";
import { slowIt } from "../helpers/slow_test.ts";

const CORE_DIR = join(REPO_ROOT, "packages", "core");
const EXAMPLE = "three_nodes.mjs";
const READMES = [join(REPO_ROOT, "README.md"), join(CORE_DIR, "README.md")];

/** The fenced blocks between `<!-- core-package:start -->` and `:end` in `markdown`, by language. */
function packageBlocks(markdown: string): Map<string, string> {
  const start = markdown.indexOf("<!-- core-package:start -->");
  const end = markdown.indexOf("<!-- core-package:end -->");
  if (start < 0 || end < start) throw new Error("no core-package markers");
  const blocks = new Map<string, string>();
  for (const m of markdown.slice(start, end).matchAll(/^```(\w+)\n([\s\S]*?)^```$/gm)) {
    if (blocks.has(m[1])) throw new Error(`two ${m[1]} blocks between the core-package markers`);
    blocks.set(m[1], m[2]);
  }
  return blocks;
}

/** The block in `language` of `markdown`'s core-package section (fails the test if it is missing). */
function block(markdown: string, language: string): string {
  const text = packageBlocks(markdown).get(language);
  if (text === undefined) throw new Error(`no ${language} block between the core-package markers`);
  return text;
}

function readJson(path: string): Record<string, unknown> {
  return JSON.parse(readFileSync(path, "utf8")) as Record<string, unknown>;
}

describe("the core package's documents", () => {
  it("both READMEs show packages/core/examples/three_nodes.mjs verbatim, with the same output", () => {
    const example = readFileSync(join(CORE_DIR, "examples", EXAMPLE), "utf8");
    const [root, core] = READMES.map((path) => readFileSync(path, "utf8"));
    expect(block(root, "js")).toBe(example);
    expect(block(core, "js")).toBe(example);
    expect(block(core, "text")).toBe(block(root, "text"));
    expect(example.startsWith('import { NodeId, RaftNode } from "raftbare-ts-core";\n')).toBe(true);
  });

  it("package.json and deno.json describe the same dependency-free package", () => {
    const npm = readJson(join(CORE_DIR, "package.json"));
    const jsr = readJson(join(CORE_DIR, "deno.json"));
    expect(npm.name).toBe("raftbare-ts-core");
    expect(jsr.name).toBe("@raftbare-ts/core");
    expect(jsr.version).toBe(npm.version);
    expect(npm.version).toBe("0.1.0");
    expect([npm.license, jsr.license]).toEqual(["MIT", "MIT"]);
    expect(npm.type).toBe("module");
    expect(npm.engines).toEqual({ node: ">=20" });
    expect(npm.exports).toEqual({
      ".": { types: "./dist/mod.d.ts", default: "./dist/mod.js" },
      "./package.json": "./package.json",
    });
    expect(jsr.exports).toBe("./src/mod.ts");
    for (const field of ["dependencies", "peerDependencies", "optionalDependencies", "devDependencies"]) {
      expect({ field, value: npm[field] }).toEqual({ field, value: undefined });
    }
    expect(jsr.imports).toBeUndefined();
    expect(existsSync(join(CORE_DIR, "LICENSE"))).toBe(true);
  });
});

/** A consumer that uses the declarations; the `@ts-expect-error` line fails if the types were `any`. */
const CONSUMER_TS = `import { type Action, LogPosition, NodeId, RaftNode, type RaftNodeOptions } from "raftbare-ts-core";

const options: RaftNodeOptions = { preVote: true, checkQuorum: true };
const node: RaftNode = RaftNode.start(NodeId.of("a"), options);
const result = node.createCluster([node.id]);
const position: LogPosition = result.ok ? result.position : LogPosition.INVALID;
const actions: Action[] = [...node.actions];
// @ts-expect-error a Term is not a NodeId
const wrong: NodeId = node.currentTerm;
export { actions, position, wrong };
`;

const CONSUMER_TSCONFIG = {
  compilerOptions: {
    target: "ES2022",
    module: "NodeNext",
    moduleResolution: "NodeNext",
    strict: true,
    noEmit: true,
    types: [],
    lib: ["ES2023"],
  },
  files: ["consumer.ts"],
};

/** Runs the README's `sh` commands of the core-package section from the repository root. */
async function runReadmeCommands(): Promise<void> {
  const commands = blockCommands(block(readFileSync(READMES[0], "utf8"), "sh").split("\n"));
  expect(commands.length).toBe(2);
  for (const command of commands) {
    expectSuccess(await runProcess("sh", ["-c", command], { cwd: REPO_ROOT }), command);
  }
}

describe("the core's npm package", () => {
  slowIt(
    "builds and packs with the README's commands, installs offline and runs the README's example on Node.js",
    async () => {
      const tarballName = "raftbare-ts-core-0.1.0.tgz";
      const project = mkdtempSync(join(tmpdir(), "raftbare-core-npm-"));
      try {
        await runReadmeCommands();
        const packed = join(CORE_DIR, tarballName);
        copyFileSync(packed, join(project, tarballName));
        rmSync(packed);
        writeFileSync(
          join(project, "package.json"),
          JSON.stringify({ name: "consumer", private: true, type: "module" }),
        );
        await installTarball(join(project, tarballName), project);
        const installed = join(project, "node_modules", "raftbare-ts-core");
        expect(lstatSync(installed).isSymbolicLink()).toBe(false); // A copy from the tarball, not a link to the checkout.
        expect(existsSync(join(installed, "src"))).toBe(false);
        expect(readJson(join(installed, "package.json")).version).toBe("0.1.0");

        const node = await runProcess("node", ["--version"], { cwd: project });
        expect(Number(/^v(\d+)\./.exec(node.stdout)?.[1])).toBeGreaterThanOrEqual(20);
        copyFileSync(join(CORE_DIR, "examples", EXAMPLE), join(project, EXAMPLE));
        const run = await runProcess("node", [EXAMPLE], { cwd: project, timeoutMs: 60_000 });
        expect({ status: run.status, stderr: run.stderr }).toEqual({ status: 0, stderr: "" });
        expect(run.stdout).toBe(block(readFileSync(READMES[0], "utf8"), "text"));

        writeFileSync(join(project, "consumer.ts"), CONSUMER_TS);
        writeFileSync(join(project, "tsconfig.json"), JSON.stringify(CONSUMER_TSCONFIG));
        const tsc = join(REPO_ROOT, "node_modules", ".bin", "tsc");
        const check = await runProcess(tsc, ["-p", join(project, "tsconfig.json")], { cwd: project });
        expect({ status: check.status, output: check.stdout }).toEqual({ status: 0, output: "" });
      } finally {
        rmSync(project, { recursive: true, force: true });
        rmSync(join(CORE_DIR, tarballName), { force: true });
      }
    },
    { timeoutMs: 300_000 },
  );
});
