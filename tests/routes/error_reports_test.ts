import { describe, expect, it } from "bun:test";
import { createHttpApp } from "../../routes/mod.ts";
import { OPEN_API } from "../../src/http/api_auth.ts";
import { rateLimitedErrorReports } from "../../src/http/error_reports.ts";
import { createLogger } from "../../src/server/logger.ts";
import { FakeNodeService } from "../helpers/fake_service.ts";
import { expectError, send } from "./helpers.ts";

/** A logger into `lines`, a clock the test moves, and timers the test fires. */
function harness(options: { maxPerWindow?: number } = {}) {
  const lines: string[] = [];
  const clock = { now: 1_000 };
  const timers: Array<{ fn: () => void; ms: number }> = [];
  const logger = createLogger("n1", "debug", (line) => lines.push(line));
  const report = rateLimitedErrorReports(logger, {
    ...options,
    now: () => clock.now,
    schedule: (fn, ms) => timers.push({ fn, ms }),
  });
  const request = new Request("http://localhost/v1/kv/k");
  return { lines, clock, timers, report: (err: unknown) => report(err, request) };
}

describe("rateLimitedErrorReports()", () => {
  it("reports an error in full: request, name, message and stack, as one log entry", () => {
    const h = harness();
    h.report(new Error("disk on fire"));
    expect(h.lines.length).toBe(1);
    expect(h.lines[0]).toContain("ERROR [n1] Unexpected error while serving GET /v1/kv/k: Error: disk on fire\n");
    expect(h.lines[0]).toContain("error_reports_test");
  });

  it("reports at most maxPerWindow in full per window, then one line counting the rest", () => {
    const h = harness({ maxPerWindow: 3 });
    for (let i = 0; i < 10; i++) h.report(new Error(`bad request ${i}`));
    expect(h.lines.length).toBe(3);
    expect(h.timers.length).toBe(1);
    expect(h.timers[0].ms).toBe(1000);
    h.clock.now += 1000;
    h.timers[0].fn();
    expect(h.lines.length).toBe(4);
    expect(h.lines[3]).toContain(
      "Left out the reports of 7 more unexpected errors in the HTTP API within 1000 ms (at most 3 are reported)",
    );
    expect(h.lines[3]).not.toContain("\n");
  });

  it("reports in full again once the window has passed", () => {
    const h = harness({ maxPerWindow: 1 });
    h.report(new Error("first"));
    h.report(new Error("left out"));
    h.clock.now += 400;
    h.report(new Error("left out too"));
    expect(h.timers.map((t) => t.ms)).toEqual([1000]);
    h.clock.now += 600;
    h.timers[0].fn();
    h.report(new Error("next window"));
    expect(h.lines.length).toBe(3);
    expect(h.lines[1]).toContain("2 more unexpected errors");
    expect(h.lines[2]).toContain("Error: next window");
  });

  it("reports a thrown non-Error value and an error's cause", () => {
    const h = harness();
    h.report("a string");
    h.report(new Error("outer", { cause: new TypeError("inner") }));
    expect(h.lines[0]).toContain("GET /v1/kv/k: a string");
    expect(h.lines[1]).toContain("caused by TypeError: inner");
  });
});

describe("createHttpApp() error reports", () => {
  it("an exception inside the service is reported to the app's logger and answered 500 internal", async () => {
    const service = new FakeNodeService();
    service.get = () => {
      throw new Error("disk on fire in segment 7");
    };
    const lines: string[] = [];
    const app = createHttpApp(service, {
      auth: OPEN_API,
      logger: createLogger("n1", "info", (line) => lines.push(line)),
    });
    const answer = await send(app, "GET", "/v1/kv/k");
    expect(expectError(answer, 500, "internal").message).toBe("Internal error while serving GET /v1/kv/k");
    expect(lines.length).toBe(1);
    expect(lines[0]).toContain("Unexpected error while serving GET /v1/kv/k: Error: disk on fire in segment 7");
  });
});
