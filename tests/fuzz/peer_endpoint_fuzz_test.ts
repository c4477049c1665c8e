/**
 * Hostile input to the peer endpoint (`/v1/raft`) of a served leader n1 of {n1, n2}: frames that
 * are not JSON, binary and not UTF-8, oversized, of another version, with bogus fields or another
 * sender, from the member n2 (all refused) or from a token holder outside the cluster (refused, or
 * valid-shaped with any term up to the highest, including terms from the future), and dials with
 * another cluster's token, bad handshake headers or no upgrade at all, frames sent as a plain
 * request's body. The node stays up and the leader of its term; every refusal answers with an
 * Error frame (or the envelope) and counts in `raft_peer_frames_rejected_total{reason}`.
 * Check-quorum is off, so a long soak does not depend on n2 answering.
 */
import { afterAll, beforeAll, describe, expect } from "bun:test";
import fc from "fast-check";
import { rawHttp } from "../helpers/raw_http.ts";
import { slowIt } from "../helpers/slow_test.ts";
import { waitFor } from "../helpers/wait_for.ts";
import { fuzzParameters, fuzzRuns, fuzzTimeoutMs } from "./fuzz_runs.ts";
import { type HostileFrame, hostileFrameArb, outsiderArb } from "./peer_frame_arbs.ts";
import { handshakeArb } from "./peer_handshake_arbs.ts";
import {
  isServing,
  makeLeader,
  PEER_TOKEN,
  Peer,
  type PeerFixture,
  rejectedByReason,
  servePeerNode,
  stateOf,
} from "./peer_node.ts";

const FRAME_RUNS = 60;
const DIAL_RUNS = 80;

/** `after - before` per reason, leaving out reasons that did not move. */
function delta(before: Record<string, number>, after: Record<string, number>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [reason, value] of Object.entries(after))
    if (value !== (before[reason] ?? 0)) out[reason] = value - (before[reason] ?? 0);
  return out;
}

/** How many times each reason occurs in `reasons`. */
function tally(reasons: readonly (string | null)[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const r of reasons) if (r !== null) out[r] = (out[r] ?? 0) + 1;
  return out;
}

/** True iff both count the same reasons the same number of times. */
function same(a: Record<string, number>, b: Record<string, number>): boolean {
  const sorted = (r: Record<string, number>) =>
    JSON.stringify(Object.entries(r).sort(([x], [y]) => x.localeCompare(y)));
  return sorted(a) === sorted(b);
}

describe("hostile input to the peer endpoint of a leader", () => {
  let fixture: PeerFixture;
  let n2: Peer;
  beforeAll(async () => {
    fixture = await servePeerNode(["--check-quorum", "false"]);
    n2 = await Peer.open(fixture.url, "n2", PEER_TOKEN);
    await makeLeader(fixture, n2);
  }, 60_000);
  afterAll(async () => {
    await n2?.closeAndWait();
    await fixture?.stop();
  }, 60_000);

  const scenario = fc.oneof(
    fc.record({
      as: fc.constant("n2"),
      frames: fc.array(hostileFrameArb("n2", ["n1", "n2", "n3"], false), { minLength: 1, maxLength: 5 }),
    }),
    outsiderArb.chain((id) =>
      fc.record({
        as: fc.constant(id),
        frames: fc.array(hostileFrameArb(id, ["n1", "n3", id], true), { minLength: 1, maxLength: 5 }),
      }),
    ),
  );

  slowIt(
    "frames are refused by reason and counted, or handed on and ignored; the leader keeps its term, log and role",
    async () => {
      const before = stateOf(fixture.node);
      expect(before.role).toBe("leader");
      await fc.assert(
        fc.asyncProperty(scenario, async ({ as, frames }: { as: string; frames: HostileFrame[] }) => {
          const start = await rejectedByReason(fixture);
          const peer = as === "n2" ? n2 : await Peer.open(fixture.url, as, PEER_TOKEN);
          const answered = peer.errors.length;
          try {
            for (const frame of frames) await peer.send(frame.data);
          } finally {
            if (peer !== n2) await peer.closeAndWait();
          }
          const expected = tally(frames.map((f) => f.reason));
          // Each send's sentinel is a frame from another sender than the handshake's: refused too.
          const expectedCounts = { ...expected, sender_mismatch: (expected.sender_mismatch ?? 0) + frames.length };
          const got = () => rejectedByReason(fixture).then((end) => delta(start, end));
          // Binary frames may reach a Deno server as Blobs, read asynchronously: wait for the counts.
          await waitFor(async () => same(await got(), expectedCounts), {
            timeoutMs: 20_000,
            what: "the rejections to be counted",
          }).catch(
            () => undefined, // The comparison below reports what differs.
          );
          expect(await got()).toEqual(expectedCounts);
          const codes = peer.errors.slice(answered).filter((e) => !e.includes("'sentinel-"));
          expect(tally(codes.map((e) => JSON.parse(e).code as string))).toEqual(expected);
          expect(stateOf(fixture.node)).toEqual(before);
          expect(await isServing(fixture)).toBe(true);
        }),
        fuzzParameters(FRAME_RUNS),
      );
    },
    { timeoutMs: fuzzTimeoutMs(fuzzRuns(FRAME_RUNS), 500) },
  );

  slowIt(
    "dials with another cluster's token, bad handshake headers or no upgrade are refused in the envelope and counted",
    async () => {
      const before = stateOf(fixture.node);
      await fc.assert(
        fc.asyncProperty(handshakeArb(PEER_TOKEN), async (dial) => {
          const start = await rejectedByReason(fixture);
          const answer = await rawHttp(fixture.port, {
            method: "GET",
            path: "/v1/raft",
            headers: dial.headers,
            body: dial.body,
          });
          expect({ status: answer.status, code: answer.body?.error?.code }).toEqual({
            status: dial.status,
            code: dial.reason,
          });
          expect(answer.headers["content-type"]).toContain("application/json");
          expect(Object.keys(answer.body)).toEqual(["error"]);
          expect(typeof answer.body.error.message).toBe("string");
          expect(delta(start, await rejectedByReason(fixture))).toEqual({ [dial.reason]: 1 });
          expect(stateOf(fixture.node)).toEqual(before);
        }),
        fuzzParameters(DIAL_RUNS),
      );
      expect(await isServing(fixture)).toBe(true);
    },
    { timeoutMs: fuzzTimeoutMs(fuzzRuns(DIAL_RUNS), 100) },
  );
});
