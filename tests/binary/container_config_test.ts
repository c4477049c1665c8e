/**
 * The Dockerfile, .dockerignore and compose.yaml, checked without a Docker engine: the image copies
 * the file scripts/build_binary.ts writes and runs it as a user other than root, with the volume,
 * port and health check its environment names; every service of compose.yaml parses with the node's
 * own configuration parser (its command and environment, the image's environment beneath, and the
 * token files the README's lines make), and ports, volumes, member URLs and secrets agree.
 */
import { afterAll, describe, expect, it } from "bun:test";
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join, resolve } from "node:path";
import type { NodeConfig } from "../../schemas/node_config.ts";
import { BINARY_PATH } from "../../scripts/build_binary/layout.ts";
import { loadConfig } from "../../src/server/config.ts";
import { REPO_ROOT } from "../helpers/process_cluster.ts";
import { markedCommands } from "../helpers/readme_shell.ts";
import { type ComposeService, parseCompose, portMapping, volumeMount } from "./compose_file.ts";
import { envPairs, execForm, healthcheckShellCommand, onlyInstruction, parseDockerfile } from "./dockerfile.ts";

const read = (file: string) => readFileSync(join(REPO_ROOT, file), "utf8");
const DOCKERFILE = parseDockerfile(read("Dockerfile"));
const COMPOSE = parseCompose(read("compose.yaml"));
const README_CONTAINERS = markedCommands(read("README.md"), "containers");
/** Where compose mounts a service's secrets. */
const SECRETS_DIR = "/run/secrets/";

const only = (keyword: string) => onlyInstruction(DOCKERFILE, keyword).args;
const imageEnv = envPairs(only("ENV"));

/** The uid the image's RUN lines create its user with. */
function createdUid(): string {
  const run = DOCKERFILE.filter((i) => i.keyword === "RUN").find((i) => i.args.includes("useradd"));
  const uid = run === undefined ? undefined : /useradd [^&]*--uid (\d+)/.exec(run.args)?.[1];
  if (uid === undefined) throw new Error("no RUN line creates a user with useradd --uid");
  return uid;
}

describe("the Dockerfile", () => {
  it("copies the executable scripts/build_binary.ts writes and runs it as its entrypoint", () => {
    const [source, destination, ...rest] = only("COPY").split(/\s+/);
    expect(rest).toEqual([]);
    expect(source).toBe(BINARY_PATH);
    expect(execForm(only("ENTRYPOINT"))).toEqual([destination]);
  });

  it("builds on Debian slim (the executable links only glibc) and runs as the non-root user it creates", () => {
    expect(only("FROM")).toMatch(/^debian:[a-z]+-slim$/);
    const uid = createdUid();
    expect(uid).not.toBe("0");
    expect(only("USER")).toBe(`${uid}:${uid}`);
  });

  it("keeps the data in the volume RAFT_DATA_DIR names, owned by that user, and exposes RAFT_LISTEN's port", () => {
    const config = nodeConfig(["--id", "n1"], imageEnv, tokenEnv());
    expect(config.listen.hostname).toBe("0.0.0.0");
    expect(only("EXPOSE")).toBe(String(config.listen.port));
    expect(execForm(only("VOLUME"))).toEqual([config.dataDir]);
    expect(only("WORKDIR")).toBe(config.dataDir);
    const uid = createdUid();
    expect(
      DOCKERFILE.some((i) => i.keyword === "RUN" && i.args.includes(`chown ${uid}:${uid} ${config.dataDir}`)),
    ).toBe(true);
  });

  it("checks /livez on RAFT_LISTEN's port with bash, which Debian slim has (the smoke test runs it)", () => {
    const command = healthcheckShellCommand(only("HEALTHCHECK"));
    expect(command.startsWith("bash -c ")).toBe(true);
    // biome-ignore lint/suspicious/noTemplateCurlyInString: a shell parameter expansion, not a template.
    expect(command).toContain("${RAFT_LISTEN##*:}");
    expect(command).toContain("GET /livez HTTP/1.0");
  });

  it(".dockerignore sends the executable alone to the build", () => {
    const lines = read(".dockerignore")
      .split("\n")
      .map((l) => l.trim())
      .filter((l) => l !== "" && !l.startsWith("#"));
    expect(lines).toEqual(["*", `!${BINARY_PATH}`]);
  });
});

describe("compose.yaml", () => {
  const names = Object.keys(COMPOSE.services);
  let dir: string | undefined;
  /** The directory holding the README's token files (made once). */
  const secretsRoot = () => {
    dir ??= readmeSecrets();
    return dir;
  };
  /** Every service's node configuration, read with those files. */
  const configs = () => new Map(names.map((name) => [name, serviceConfig(COMPOSE.services[name], secretsRoot())]));
  afterAll(() => {
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  });

  it("the README's lines make token files the nodes accept, in a directory only its owner can enter", () => {
    const root = secretsRoot();
    expect(statSync(join(root, "secrets")).mode & 0o777).toBe(0o700);
    for (const [name, secret] of Object.entries(COMPOSE.secrets)) {
      const file = resolve(root, secret.file);
      expect({ name, mode: statSync(file).mode & 0o777 }).toEqual({ name, mode: 0o644 });
    }
    expect(read(".gitignore").split("\n")).toContain("secrets/");
  });

  it("runs three nodes named after their services, each advertising its service name, all with the same members", () => {
    expect(names).toEqual(["n1", "n2", "n3"]);
    const members = names.map((name) => ({ id: name, url: `http://${name}:7001` }));
    const all = configs();
    for (const [name, config] of all) {
      expect(config.id).toBe(name);
      expect(config.advertiseUrl).toBe(`http://${name}:${config.listen.port}`);
      expect(config.bootstrap).toEqual(members);
    }
    const tokens = [...all.values()].map((c) => [c.clusterToken, c.adminToken, c.readToken]);
    expect(new Set(tokens.map((t) => JSON.stringify(t))).size).toBe(1);
    expect(tokens[0].every((t) => t !== undefined && t.length >= 16)).toBe(true);
  });

  it("publishes each node's listen port on its own loopback host port, and keeps its data in its own volume", () => {
    const hostPorts = new Set<number>();
    const volumes = new Set<string>();
    for (const [name, config] of configs()) {
      const service = COMPOSE.services[name];
      expect(service.ports.length).toBe(1);
      const port = portMapping(service.ports[0]);
      expect(port.hostIp).toBe("127.0.0.1");
      expect(port.containerPort).toBe(config.listen.port);
      hostPorts.add(port.hostPort);
      expect(service.volumes.length).toBe(1);
      const mount = volumeMount(service.volumes[0]);
      expect(mount.target).toBe(config.dataDir);
      expect(Object.hasOwn(COMPOSE.volumes, mount.volume)).toBe(true);
      volumes.add(mount.volume);
    }
    expect([...hostPorts]).toEqual([7001, 7002, 7003]);
    expect(volumes.size).toBe(names.length);
    expect(Object.keys(COMPOSE.volumes).length).toBe(names.length);
  });

  it("builds this Dockerfile into the image the README's docker build names", () => {
    const build = README_CONTAINERS.find((c) => c.startsWith("docker build "));
    const tag = build === undefined ? undefined : /^docker build -t (\S+) \.$/.exec(build)?.[1];
    expect(tag).toBeDefined();
    const buildIndex = README_CONTAINERS.indexOf(build as string);
    expect(README_CONTAINERS.slice(0, buildIndex)).toContain("npx bun scripts/build_binary.ts");
    for (const service of Object.values(COMPOSE.services)) {
      expect(service.image).toBe(tag as string);
      expect(existsSync(join(REPO_ROOT, service.build, "Dockerfile"))).toBe(true);
    }
    expect(README_CONTAINERS).toContain("docker compose up -d");
  });

  it("the README's curl lines call host ports compose publishes", () => {
    const published = new Set(Object.values(COMPOSE.services).map((s) => portMapping(s.ports[0]).hostPort));
    const curls = README_CONTAINERS.filter((c) => c.startsWith("curl "));
    expect(curls.length).toBeGreaterThan(0);
    for (const curl of curls) {
      for (const m of curl.matchAll(/127\.0\.0\.1:(\d+)/g)) expect(published.has(Number(m[1]))).toBe(true);
    }
  });
});

/** Runs the README's lines that make the token files (mkdir, the loop, chmod) in a fresh directory; the directory. */
function readmeSecrets(): string {
  const lines = README_CONTAINERS.filter((c) => /^(mkdir|for|chmod) /.test(c) && c.includes("secrets"));
  if (lines.length !== 3) throw new Error(`expected 3 README lines that make secrets/, found ${lines.length}`);
  const root = mkdtempSync(join(tmpdir(), "raftbare-compose-"));
  try {
    execFileSync("sh", ["-c", lines.join("\n")], { cwd: root, env: { PATH: "/usr/bin:/bin" }, timeout: 20_000 });
  } catch (error) {
    rmSync(root, { recursive: true, force: true });
    throw error;
  }
  return root;
}

/** Tokens good enough for the parser, for checks of the image's own environment. */
function tokenEnv(): Record<string, string> {
  return { RAFT_CLUSTER_TOKEN: "a-cluster-token", RAFT_ADMIN_TOKEN: "an-admin-token-of-16+" };
}

/** The node's configuration from `argv` over the image's environment and then `env` (as compose layers them). */
function nodeConfig(
  argv: readonly string[],
  image: ReadonlyMap<string, string>,
  env: Readonly<Record<string, string>>,
): NodeConfig {
  const loaded = loadConfig(argv, { ...Object.fromEntries(image), ...env });
  if (!loaded.ok) throw new Error(`the node refuses ${JSON.stringify(argv)}:\n  ${loaded.errors.join("\n  ")}`);
  return loaded.config;
}

/**
 * A service's node configuration: its command over the image's and its own environment, with
 * every `/run/secrets/NAME` it reads replaced by the host file compose mounts there (under `root`).
 * Throws if it reads a secret it is not given.
 */
function serviceConfig(service: ComposeService, root: string): NodeConfig {
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries(service.environment)) {
    if (!value.startsWith(SECRETS_DIR)) {
      env[name] = value;
      continue;
    }
    const secret = basename(value);
    if (!service.secrets.includes(secret)) throw new Error(`${name} reads the secret ${secret}, not given to it`);
    const file = COMPOSE.secrets[secret]?.file;
    if (file === undefined) throw new Error(`the secret ${secret} is not declared`);
    if (!file.startsWith("./secrets/")) throw new Error(`the secret ${secret} is not a file under ./secrets/`);
    env[name] = resolve(root, file);
  }
  return nodeConfig(service.command, imageEnv, env);
}
