/** The simulated network's flaky nodes: what they lose, and that they draw no numbers otherwise. */
import { describe, expect, it } from "bun:test";
import { type Message, NodeId } from "../../packages/core/src/mod.ts";
import { Network } from "./network.ts";
import { Prng } from "./prng.ts";

const a = NodeId.of("a");
const b = NodeId.of("b");
const c = NodeId.of("c");
const message = { type: "AppendEntriesReply" } as unknown as Message;

/** A network over `rng` that records the delay of every message it queues. */
function network(rng: Prng): { net: Network; delays: number[] } {
  const delays: number[] = [];
  const net = new Network({
    rng,
    faults: { dropRate: 0.1, duplicateRate: 0.1 },
    latency: [1, 100],
    capacity: 1_000_000,
    deliver: (delay) => delays.push(delay) > 0,
  });
  return { net, delays };
}

describe("Network: flaky nodes", () => {
  it("a node losing everything sends and receives nothing, and counts it", () => {
    const { net, delays } = network(new Prng(1));
    net.faults.dropRate = 0;
    net.faults.duplicateRate = 0;
    net.setFlaky(a, 1);
    for (let k = 0; k < 50; k++) {
      net.send(a, b, message);
      net.send(b, a, message);
    }
    expect(delays.length).toBe(0);
    expect(net.stats.flakyDropped).toBe(100);
    expect(net.stats.dropped).toBe(100);
    net.send(b, c, message);
    expect(delays.length).toBe(1);
  });

  it("a partly flaky node loses about its share, and recovers when steady", () => {
    const { net, delays } = network(new Prng(2));
    net.faults.dropRate = 0;
    net.faults.duplicateRate = 0;
    net.setFlaky(a, 0.75);
    for (let k = 0; k < 4000; k++) net.send(a, b, message);
    expect(net.stats.flakyDropped).toBeGreaterThan(2800);
    expect(net.stats.flakyDropped).toBeLessThan(3200);
    expect(net.isFlaky(a)).toBe(true);
    net.steady(a);
    expect(net.flakyNodes).toEqual([]);
    const before = delays.length;
    for (let k = 0; k < 100; k++) net.send(a, b, message);
    expect(delays.length - before).toBe(100);
  });

  it("messages between steady nodes draw the same numbers whether or not another node is flaky", () => {
    const plain = network(new Prng(3));
    const withFlaky = network(new Prng(3));
    withFlaky.net.setFlaky(c, 0.9);
    for (let k = 0; k < 500; k++) {
      plain.net.send(a, b, message);
      withFlaky.net.send(a, b, message);
    }
    expect(withFlaky.delays).toEqual(plain.delays);
    expect(withFlaky.net.stats).toEqual(plain.net.stats);
  });

  it("refuses a loss rate outside [0, 1]", () => {
    const { net } = network(new Prng(4));
    expect(() => net.setFlaky(a, 1.5)).toThrow();
    net.setFlaky(a, 0);
    expect(net.isFlaky(a)).toBe(false);
  });
});
