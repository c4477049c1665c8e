import { describe, expect, it } from "bun:test";
import { backoffDelay, PeerLink, type PeerLinkOptions } from "../../src/transport/peer_link.ts";
import { type FakeSocket, fakeWebSocketImpl, ManualTimers } from "./fakes.ts";

function setup(options: Partial<PeerLinkOptions> = {}) {
  const fake = fakeWebSocketImpl();
  const timers = new ManualTimers();
  const events: string[] = [];
  const texts: string[] = [];
  const link = new PeerLink({
    url: "ws://127.0.0.1:1/v1/raft",
    headers: { authorization: "Bearer t" },
    WebSocket: fake.impl,
    timers,
    random: () => 0.5,
    onOpen: () => events.push("open"),
    onClose: (code) => events.push(`close ${code}`),
    onText: (text) => texts.push(text),
    ...options,
  });
  const socket = (k: number): FakeSocket => {
    const s = fake.sockets[k];
    if (s === undefined) throw new Error(`socket ${k} was never dialed`);
    return s;
  };
  return { link, fake, timers, events, texts, socket };
}

describe("backoffDelay()", () => {
  it("doubles from 50 ms up to the 2 s cap, jittered into [ceiling/2, ceiling)", () => {
    const low = [0, 1, 2, 3, 4, 5, 6, 7].map((n) => backoffDelay(n, { random: () => 0 }));
    expect(low).toEqual([25, 50, 100, 200, 400, 800, 1000, 1000]);
    const high = [0, 6, 1000].map((n) => backoffDelay(n, { random: () => 0.999999 }));
    expect(high[0]).toBeCloseTo(50, 3);
    expect(high[1]).toBeCloseTo(2000, 2);
    expect(high[2]).toBeCloseTo(2000, 2);
  });

  it("takes other bounds", () => {
    expect(backoffDelay(3, { initialBackoffMs: 10, maxBackoffMs: 40, random: () => 0 })).toBe(20);
  });
});

describe("PeerLink", () => {
  it("dials at once with the handshake headers and asks for ArrayBuffer binary frames", () => {
    const { link, socket } = setup();
    expect(link.state).toBe("connecting");
    expect(socket(0).url).toBe("ws://127.0.0.1:1/v1/raft");
    expect(socket(0).headers).toEqual({ authorization: "Bearer t" });
    expect(socket(0).binaryType).toBe("arraybuffer");
    link.close();
  });

  it("send() keeps frames while the dial is in flight and sends them first once it opens", () => {
    const { link, socket, events } = setup();
    expect(link.send("early")).toBe(true);
    expect(socket(0).sent).toEqual([]);
    socket(0).open();
    expect(link.isOpen).toBe(true);
    expect(events).toEqual(["open"]);
    expect(link.send("one")).toBe(true);
    expect(link.send("two")).toBe(true);
    expect(socket(0).sent).toEqual(["early", "one", "two"]);
    link.close();
  });

  it("send() bounds the frames kept while dialing, and a failed dial drops them", () => {
    const { link, socket, timers } = setup();
    let kept = 0;
    for (let i = 0; i < 100; i++) if (link.send(`f${i}`)) kept++;
    expect(kept).toBe(64);
    socket(0).drop();
    expect(link.send("while waiting")).toBe(false); // Backing off: nothing is kept.
    timers.fireNext(); // The redial.
    socket(1).open();
    expect(socket(1).sent).toEqual([]);
    link.close();
  });

  it("a saturated link drops frames instead of buffering them", () => {
    const { link, socket } = setup({ highWaterMark: 1000 });
    socket(0).open();
    socket(0).bufferedAmount = 1000;
    expect(link.send("at the mark")).toBe(true);
    socket(0).bufferedAmount = 1001;
    for (let i = 0; i < 100; i++) expect(link.send(`frame ${i}`)).toBe(false);
    expect(socket(0).sent).toEqual(["at the mark"]);
    socket(0).bufferedAmount = 0; // Drained: the link takes frames again.
    expect(link.send("after")).toBe(true);
    expect(link.bufferedAmount).toBe(0);
    link.close();
  });

  it("redials after a drop with growing backoff, and resets it once a dial succeeds", () => {
    const { link, socket, timers, events, fake } = setup({ random: () => 0 });
    socket(0).open();
    socket(0).drop();
    expect(link.state).toBe("waiting");
    expect(link.send("x")).toBe(false);
    const delays: number[] = [];
    for (let k = 1; k <= 4; k++) {
      delays.push(timers.fireNext());
      expect(link.state).toBe("connecting");
      socket(k).drop(); // The peer is still down.
    }
    expect(delays).toEqual([25, 50, 100, 200]);
    timers.fireNext();
    socket(5).open();
    expect(link.isOpen).toBe(true);
    socket(5).drop();
    expect(timers.fireNext()).toBe(25); // Backoff starts over after a successful open.
    expect(fake.sockets.length).toBe(7);
    expect(events.filter((e) => e === "open").length).toBe(2);
    link.close();
  });

  it("an error followed by a close counts as one loss", () => {
    const { link, socket, timers, events } = setup();
    socket(0).open();
    socket(0).drop();
    expect(events).toEqual(["open", "close 1006"]);
    expect(timers.pending.size).toBe(1);
    link.close();
  });

  it("gives up on a dial that does not open within the connect timeout and redials", () => {
    const { link, socket, timers } = setup({ connectTimeoutMs: 300, random: () => 0 });
    expect(timers.delays()).toEqual([300]);
    expect(timers.fireNext()).toBe(300);
    expect(socket(0).closeCalls).toBe(1);
    expect(link.state).toBe("waiting");
    timers.fireNext();
    expect(link.state).toBe("connecting");
    socket(0).open(); // The abandoned socket opening late changes nothing.
    expect(link.isOpen).toBe(false);
    socket(1).open();
    expect(link.isOpen).toBe(true);
    link.close();
  });

  it("a dial that throws is retried later instead of throwing", () => {
    const fake = fakeWebSocketImpl();
    fake.failNext.value = true;
    const timers = new ManualTimers();
    const link = new PeerLink({ url: "not a url", WebSocket: fake.impl, timers, random: () => 0 });
    expect(link.state).toBe("waiting");
    expect(fake.sockets.length).toBe(0);
    timers.fireNext();
    expect(fake.sockets.length).toBe(1);
    link.close();
  });

  it("hands frames the peer sends back to onText, decoding binary frames as UTF-8", () => {
    const { link, socket, texts } = setup();
    socket(0).open();
    socket(0).receive('{"v":1}');
    socket(0).receive(new TextEncoder().encode('{"bin":"é"}').buffer);
    socket(0).receive(42); // Not a frame type a client delivers: ignored.
    expect(texts).toEqual(['{"v":1}', '{"bin":"é"}']);
    link.close();
  });

  it("close() closes the socket, cancels every timer and ignores late events", () => {
    const { link, socket, timers, events, fake } = setup();
    socket(0).open();
    link.close();
    link.close();
    expect(link.state).toBe("closed");
    expect(socket(0).closeCalls).toBe(1);
    expect(timers.pending.size).toBe(0);
    socket(0).drop();
    expect(events).toEqual(["open"]);
    expect(fake.sockets.length).toBe(1);
    expect(link.send("x")).toBe(false);
  });

  it("close() while waiting to redial cancels the redial", () => {
    const { link, socket, timers, fake } = setup();
    socket(0).drop();
    expect(timers.pending.size).toBe(1);
    link.close();
    expect(timers.pending.size).toBe(0);
    expect(fake.sockets.length).toBe(1);
  });
});
