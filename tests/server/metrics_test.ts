import { describe, expect, it } from "bun:test";
import { MAX_SERIES, MetricsRegistry } from "../../src/server/metrics.ts";
import { parseExposition, sampleValue } from "../helpers/prometheus_text.ts";

describe("MetricsRegistry", () => {
  it("renders counters, gauges and histograms that a strict parser reads back", () => {
    const r = new MetricsRegistry();
    const writes = r.counter("writes_total", "Writes.");
    writes.inc({ outcome: "applied" });
    writes.inc({ outcome: "applied" }, 2);
    writes.inc({ outcome: 'a "quoted"\\ \n code' });
    r.gauge("term", "The term.", () => [[{}, 7]]);
    const h = r.histogram("duration_seconds", "Durations.", [0.1, 1]);
    h.observe({ route: "/v1/kv/:key" }, 0.05);
    h.observe({ route: "/v1/kv/:key" }, 0.5);
    h.observe({ route: "/v1/kv/:key" }, 5);
    const parsed = parseExposition(r.render());
    expect([...parsed.types]).toEqual([
      ["writes_total", "counter"],
      ["term", "gauge"],
      ["duration_seconds", "histogram"],
    ]);
    expect(sampleValue(parsed, "writes_total", { outcome: "applied" })).toBe(3);
    expect(sampleValue(parsed, "writes_total", { outcome: 'a "quoted"\\ \n code' })).toBe(1);
    expect(sampleValue(parsed, "term")).toBe(7);
    const route = { route: "/v1/kv/:key" };
    expect(sampleValue(parsed, "duration_seconds_bucket", { ...route, le: "0.1" })).toBe(1);
    expect(sampleValue(parsed, "duration_seconds_bucket", { ...route, le: "1" })).toBe(2); // Cumulative.
    expect(sampleValue(parsed, "duration_seconds_bucket", { ...route, le: "+Inf" })).toBe(3);
    expect(sampleValue(parsed, "duration_seconds_count", route)).toBe(3);
    expect(sampleValue(parsed, "duration_seconds_sum", route)).toBeCloseTo(5.55, 10);
  });

  it("bounds the series of a metric: label sets past the bound fold into one overflow series", () => {
    const r = new MetricsRegistry();
    const c = r.counter("requests_total", "Requests.");
    for (let i = 0; i < MAX_SERIES + 50; i++) c.inc({ id: `k${i}` });
    const parsed = parseExposition(r.render());
    expect(parsed.samples.length).toBe(MAX_SERIES + 1);
    expect(sampleValue(parsed, "requests_total", { overflow: "true" })).toBe(50);
  });

  it("series handles count into the same series as labelled increments, shown at 0 once created", () => {
    const r = new MetricsRegistry();
    const c = r.counter("frames_total", "Frames.");
    const child = c.child({ peer: "n2" });
    expect(sampleValue(parseExposition(r.render()), "frames_total", { peer: "n2" })).toBe(0);
    child.inc();
    child.inc(2);
    c.inc({ peer: "n2" });
    expect(c.value({ peer: "n2" })).toBe(4);
    expect(() => child.inc(-1)).toThrow("only grows");
    const h = r.histogram("sizes", "Sizes.", [0, 1, 4]);
    const sizes = h.child();
    sizes.observe(0);
    sizes.observe(3);
    expect(() => sizes.observe(Number.NaN)).toThrow("NaN");
    const parsed = parseExposition(r.render());
    expect(sampleValue(parsed, "sizes_bucket", { le: "0" })).toBe(1);
    expect(sampleValue(parsed, "sizes_bucket", { le: "4" })).toBe(2);
    expect(sampleValue(parsed, "sizes_count")).toBe(2);
    for (let i = 0; i < MAX_SERIES + 5; i++) c.child({ peer: `p${i}` }).inc();
    expect(c.value({ overflow: "true" })).toBe(6); // Handles past the bound fold into the overflow series.
  });

  it("refuses bad names, duplicate metrics, shrinking counters and unordered buckets", () => {
    const r = new MetricsRegistry();
    r.counter("a_total", "A.");
    expect(() => r.counter("a_total", "again")).toThrow("twice");
    expect(() => r.counter("bad name", "x")).toThrow("invalid metric name");
    expect(() => r.counter("b_total", "B.").inc({}, -1)).toThrow("only grows");
    expect(() => r.histogram("h", "H.", [1, 1])).toThrow("ascend");
  });

  it("the parser rejects what is not the exposition format", () => {
    expect(() => parseExposition("x 1")).toThrow("newline");
    expect(() => parseExposition("# HELP a A.\n# TYPE a gauge\nb 1\n")).toThrow("outside its family");
    expect(() => parseExposition('# HELP a A.\n# TYPE a gauge\na{x="1} 1\n')).toThrow();
    expect(() => parseExposition("# HELP a A.\n# TYPE a gauge\na one\n")).toThrow("bad value");
  });
});
