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
