import { describe, expect, it } from "bun:test";
import { createLogger } from "../../src/server/logger.ts";

describe("createLogger()", () => {
  it("writes text lines at or above its level", () => {
    const lines: string[] = [];
    const logger = createLogger("n1", "info", (line) => lines.push(line));
    logger.debug("hidden");
    logger.info("leader in term 2");
    logger.error("disk full");
    expect(lines.length).toBe(2);
    expect(lines[0]).toMatch(/^\d{4}-\d\d-\d\dT\S+Z INFO {2}\[n1\] leader in term 2$/);
    expect(lines[1]).toContain("ERROR [n1] disk full");
  });

  it("with the json format writes one parseable object per line, message text kept as is", () => {
    const lines: string[] = [];
    const logger = createLogger("n2", "debug", (line) => lines.push(line), "json");
    logger.debug('a "quoted"\nmessage');
    logger.warn("peer n3 refused a frame");
    expect(lines.length).toBe(2);
    const [first, second] = lines.map((line) => JSON.parse(line));
    expect(first).toMatchObject({ level: "debug", node: "n2", message: 'a "quoted"\nmessage' });
    expect(second).toMatchObject({ level: "warn", node: "n2", message: "peer n3 refused a frame" });
    expect(Number.isNaN(Date.parse(second.time))).toBe(false);
    expect(lines.every((line) => !line.includes("\n"))).toBe(true);
  });
});

describe("createLogger() with event fields", () => {
  it("json: adds the fields after time, level, node and message, and never lets a field overwrite them", () => {
    const lines: string[] = [];
    const logger = createLogger("n1", "info", (line) => lines.push(line), "json");
    logger.info("leader in term 3", { event: "role_changed", term: 3, role: "leader", leader: "n1" });
    logger.info("configuration committed", {
      event: "config_committed",
      voters: ["n1", "n2"],
      joint: false,
      newVoters: undefined,
      message: "not this",
      level: "error",
    });
    const [first, second] = lines.map((line) => JSON.parse(line));
    expect(Object.keys(first)).toEqual(["time", "level", "node", "message", "event", "term", "role", "leader"]);
    expect(first).toMatchObject({ level: "info", node: "n1", event: "role_changed", term: 3, leader: "n1" });
    expect(second.message).toBe("configuration committed");
    expect(second.level).toBe("info");
    expect(second.voters).toEqual(["n1", "n2"]);
    expect(second.joint).toBe(false);
    expect("newVoters" in second).toBe(false); // Undefined fields are left out.
  });

  it("text: appends key=value, quoting values with spaces, quotes or equals signs", () => {
    const lines: string[] = [];
    const logger = createLogger("n2", "info", (line) => lines.push(line));
    logger.warn("snapshot refused", { event: "snapshot_refused", from: "n1", reason: 'a "b" = c', index: 7 });
    logger.info("members", { event: "config_committed", voters: ["n1", "n2"], leader: null, time: "x" });
    logger.info("no fields");
    expect(lines[0]).toMatch(
      /WARN {2}\[n2\] snapshot refused event=snapshot_refused from=n1 reason="a \\"b\\" = c" index=7$/,
    );
    expect(lines[1]).toMatch(/\[n2\] members event=config_committed voters=n1,n2 leader=null$/);
    expect(lines[2]).toMatch(/\[n2\] no fields$/);
  });

  it("drops events below its level, fields and all", () => {
    const lines: string[] = [];
    const logger = createLogger("n3", "warn", (line) => lines.push(line), "json");
    logger.info("ignored", { event: "role_changed" });
    logger.error("storage failed", { event: "storage_failed", code: "no_space" });
    expect(lines.length).toBe(1);
    expect(JSON.parse(lines[0])).toMatchObject({ level: "error", event: "storage_failed", code: "no_space" });
  });
});
