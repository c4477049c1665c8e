import { describe, expect, it } from "bun:test";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CONFIG_KEYS } from "../../schemas/node_config.ts";
import { flagName, loadConfig } from "../../src/server/config.ts";
import { REPO_ROOT } from "../helpers/process_cluster.ts";

const REQUIRED = ["--id", "n1", "--cluster-token", "s3cret-token", "--admin-token", "s3cret-admin-token"];

describe("loadConfig() --exit-with-parent", () => {
  it("loadConfig() defaults --exit-with-parent to false", () => {
    const loaded = loadConfig(REQUIRED, {});
    expect(loaded.ok && loaded.config.exitWithParent).toBe(false);
  });

  it("loadConfig() reads --exit-with-parent from the flag and from RAFT_EXIT_WITH_PARENT; the flag wins", () => {
    const fromFlag = loadConfig([...REQUIRED, "--exit-with-parent", "true"], {});
    const fromEnv = loadConfig(REQUIRED, { RAFT_EXIT_WITH_PARENT: "true" });
    const flagOverEnv = loadConfig([...REQUIRED, "--exit-with-parent=false"], { RAFT_EXIT_WITH_PARENT: "true" });
    expect(fromFlag.ok && fromFlag.config.exitWithParent).toBe(true);
    expect(fromEnv.ok && fromEnv.config.exitWithParent).toBe(true);
    expect(flagOverEnv.ok && flagOverEnv.config.exitWithParent).toBe(false);
  });

  it("loadConfig() rejects a value of --exit-with-parent other than true or false, naming the flag and variable", () => {
    const loaded = loadConfig([...REQUIRED, "--exit-with-parent", "yes"], {});
    expect(loaded.ok).toBe(false);
    if (loaded.ok) return;
    expect(loaded.errors.join("\n")).toContain("--exit-with-parent (RAFT_EXIT_WITH_PARENT)");
  });
});

describe("loadConfig() --pre-vote and --check-quorum", () => {
  it("loadConfig() turns --pre-vote and --check-quorum on by default", () => {
    const loaded = loadConfig(REQUIRED, {});
    expect(loaded.ok && { preVote: loaded.config.preVote, checkQuorum: loaded.config.checkQuorum }).toEqual({
      preVote: true,
      checkQuorum: true,
    });
  });

  it("loadConfig() turns either off with --pre-vote=false / --check-quorum false, independently", () => {
    const noPreVote = loadConfig([...REQUIRED, "--pre-vote=false"], {});
    const noCheckQuorum = loadConfig([...REQUIRED, "--check-quorum", "false"], {});
    expect(noPreVote.ok && [noPreVote.config.preVote, noPreVote.config.checkQuorum]).toEqual([false, true]);
    expect(noCheckQuorum.ok && [noCheckQuorum.config.preVote, noCheckQuorum.config.checkQuorum]).toEqual([true, false]);
  });

  it("loadConfig() reads RAFT_PRE_VOTE and RAFT_CHECK_QUORUM; a flag wins over its variable", () => {
    const fromEnv = loadConfig(REQUIRED, { RAFT_PRE_VOTE: "false", RAFT_CHECK_QUORUM: "false" });
    expect(fromEnv.ok && [fromEnv.config.preVote, fromEnv.config.checkQuorum]).toEqual([false, false]);
    const flagOverEnv = loadConfig([...REQUIRED, "--pre-vote", "true"], { RAFT_PRE_VOTE: "false" });
    expect(flagOverEnv.ok && flagOverEnv.config.preVote).toBe(true);
  });

  it("loadConfig() rejects a value other than true or false, naming the flag, the variable and what it expects", () => {
    const loaded = loadConfig([...REQUIRED, "--pre-vote", "yes", "--check-quorum=1"], {});
    expect(loaded.ok).toBe(false);
    if (loaded.ok) return;
    expect(loaded.errors).toContain("--pre-vote (RAFT_PRE_VOTE): expected true or false");
    expect(loaded.errors).toContain("--check-quorum (RAFT_CHECK_QUORUM): expected true or false");
  });
});

describe("the README's table of node options", () => {
  it("names every flag of the node, each in a row of the table", () => {
    const rows = readFileSync(join(REPO_ROOT, "README.md"), "utf8")
      .split("\n")
      .filter((line) => line.startsWith("| `--"));
    const missing = CONFIG_KEYS.filter((k) => !rows.some((row) => row.includes(`\`--${flagName(k)}\``)));
    expect(missing).toEqual([]);
  });
});

describe("loadConfig() of the operations flags", () => {
  it("--cors-origin takes comma-separated origins or '*', and refuses a path or a bare host", () => {
    const two = loadConfig([...REQUIRED, "--cors-origin", "https://a.example, http://127.0.0.1:3000"], {});
    expect(two.ok && two.config.corsOrigin).toEqual(["https://a.example", "http://127.0.0.1:3000"]);
    const any = loadConfig(REQUIRED, { RAFT_CORS_ORIGIN: "*" });
    expect(any.ok && any.config.corsOrigin).toEqual(["*"]);
    for (const bad of ["https://a.example/app", "a.example"]) {
      const loaded = loadConfig([...REQUIRED, "--cors-origin", bad], {});
      expect(loaded.ok).toBe(false);
      if (!loaded.ok) expect(loaded.errors.join("\n")).toContain("--cors-origin (RAFT_CORS_ORIGIN)");
    }
  });

  it("--join takes a member's URL, --log-format text or json, --max-concurrent-requests a positive count", () => {
    const loaded = loadConfig(
      [...REQUIRED, "--join", "http://127.0.0.1:7001/", "--log-format", "json", "--max-concurrent-requests", "8"],
      {},
    );
    expect(loaded.ok && [loaded.config.join, loaded.config.logFormat, loaded.config.maxConcurrentRequests]).toEqual([
      "http://127.0.0.1:7001",
      "json",
      8,
    ]);
    expect(loadConfig([...REQUIRED, "--log-format", "xml"], {}).ok).toBe(false);
    expect(loadConfig([...REQUIRED, "--max-concurrent-requests", "0"], {}).ok).toBe(false);
    expect(loadConfig([...REQUIRED, "--join", "ftp://x"], {}).ok).toBe(false);
  });
});

describe("loadConfig() token files", () => {
  it("reads --cluster-token-file and RAFT_ADMIN_TOKEN_FILE (trimmed), and refuses a token given twice or unreadable", () => {
    const dir = mkdtempSync(join(tmpdir(), "raftbare-tokens-"));
    try {
      writeFileSync(join(dir, "cluster"), "from-a-file-123\n");
      writeFileSync(join(dir, "admin"), "  admin-token-from-a-file  ");
      const loaded = loadConfig(["--id", "n1", "--cluster-token-file", join(dir, "cluster")], {
        RAFT_ADMIN_TOKEN_FILE: join(dir, "admin"),
      });
      expect(loaded.ok && [loaded.config.clusterToken, loaded.config.adminToken]).toEqual([
        "from-a-file-123",
        "admin-token-from-a-file",
      ]);
      const twice = loadConfig([...REQUIRED, "--cluster-token-file", join(dir, "cluster")], {});
      expect(twice.ok).toBe(false);
      if (!twice.ok)
        expect(twice.errors.join("\n")).toContain("--cluster-token and --cluster-token-file are both given");
      const missing = loadConfig(["--id", "n1", "--cluster-token-file", join(dir, "nope")], {});
      expect(missing.ok).toBe(false);
      if (!missing.ok) expect(missing.errors.join("\n")).toContain("cannot read");
      const short = join(dir, "short");
      writeFileSync(short, "abc");
      const tooShort = loadConfig(["--id", "n1", "--cluster-token-file", short], {});
      expect(tooShort.ok).toBe(false); // The token's own rules still apply.
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("loadConfig() API tokens", () => {
  const BASE = ["--id", "n1", "--cluster-token", "s3cret-token"];
  const errorsOf = (argv: string[], env: Record<string, string> = {}) => {
    const loaded = loadConfig(argv, env);
    return loaded.ok ? [] : loaded.errors;
  };

  it("refuses to start without an admin token unless --insecure-no-auth true says so, and says how", () => {
    const errors = errorsOf(BASE).join("\n");
    expect(errors).toContain("--admin-token-file");
    expect(errors).toContain("--insecure-no-auth true");
    const open = loadConfig([...BASE, "--insecure-no-auth", "true"], {});
    expect(open.ok && open.config.insecureNoAuth).toBe(true);
    expect(errorsOf([...BASE, "--insecure-no-auth", "false"]).length).toBeGreaterThan(0);
  });

  it("reads the admin and read-only tokens from flags, files and the environment", () => {
    const loaded = loadConfig(BASE, {
      RAFT_ADMIN_TOKEN: "admin-token-from-env",
      RAFT_READ_TOKEN: "read-token-from-env",
    });
    expect(loaded.ok && [loaded.config.adminToken, loaded.config.readToken]).toEqual([
      "admin-token-from-env",
      "read-token-from-env",
    ]);
    const dir = mkdtempSync(join(tmpdir(), "raftbare-tokens-"));
    try {
      writeFileSync(join(dir, "read"), "read-token-from-a-file\n");
      const fromFile = loadConfig(
        [...BASE, "--admin-token", "s3cret-admin-token", "--read-token-file", join(dir, "read")],
        {},
      );
      expect(fromFile.ok && fromFile.config.readToken).toBe("read-token-from-a-file");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("refuses contradictions and weak tokens, naming the flag", () => {
    const admin = ["--admin-token", "s3cret-admin-token"];
    expect(errorsOf([...BASE, ...admin, "--insecure-no-auth", "true"]).join("\n")).toContain("contradict");
    expect(errorsOf([...BASE, "--insecure-no-auth", "true", "--read-token", "s3cret-read-token"]).join("\n")).toContain(
      "needs an admin token",
    );
    expect(errorsOf([...BASE, ...admin, "--read-token", "s3cret-admin-token"]).join("\n")).toContain("must differ");
    expect(errorsOf([...BASE, "--admin-token", "short"]).join("\n")).toContain("--admin-token (RAFT_ADMIN_TOKEN)");
    expect(errorsOf([...BASE, "--admin-token", "has spaces in it, sixteen+"]).join("\n")).toContain("bearer token");
  });
});

describe("loadConfig() --peer-via", () => {
  it("loadConfig() leaves --peer-via unset by default", () => {
    const loaded = loadConfig(REQUIRED, {});
    expect(loaded.ok && loaded.config.peerVia).toBeUndefined();
  });

  it("loadConfig() reads id=url pairs from --peer-via and RAFT_PEER_VIA (trailing slashes dropped); the flag wins", () => {
    const fromFlag = loadConfig(
      [...REQUIRED, "--peer-via", "n2=http://127.0.0.1:9123/, n3=https://proxy.example/n3"],
      {},
    );
    expect(fromFlag.ok && fromFlag.config.peerVia).toEqual([
      { id: "n2", url: "http://127.0.0.1:9123" },
      { id: "n3", url: "https://proxy.example/n3" },
    ]);
    const fromEnv = loadConfig(REQUIRED, { RAFT_PEER_VIA: "n2=http://127.0.0.1:9200" });
    expect(fromEnv.ok && fromEnv.config.peerVia).toEqual([{ id: "n2", url: "http://127.0.0.1:9200" }]);
    const flagOverEnv = loadConfig([...REQUIRED, "--peer-via=n3=http://127.0.0.1:9300"], {
      RAFT_PEER_VIA: "n2=http://127.0.0.1:9200",
    });
    expect(flagOverEnv.ok && flagOverEnv.config.peerVia).toEqual([{ id: "n3", url: "http://127.0.0.1:9300" }]);
  });

  const refused: Array<[string, string, string]> = [
    ["an entry without '='", "n2", "expected id=url"],
    ["a URL that is not http(s)", "n2=ftp://127.0.0.1:9", "expected id=url"],
    ["an invalid id", "n 2=http://127.0.0.1:9123", "expected id=url"],
    ["a peer named twice", "n2=http://127.0.0.1:1,n2=http://127.0.0.1:2", "more than once"],
    ["this node itself", "n1=http://127.0.0.1:9123", "names this node itself"],
  ];
  for (const [what, value, message] of refused) {
    it(`loadConfig() refuses ${what} in --peer-via, naming the flag and variable`, () => {
      const loaded = loadConfig([...REQUIRED, "--peer-via", value], {});
      expect(loaded.ok).toBe(false);
      if (loaded.ok) return;
      expect(loaded.errors.join("\n")).toContain("--peer-via (RAFT_PEER_VIA)");
      expect(loaded.errors.join("\n")).toContain(message);
    });
  }
});
