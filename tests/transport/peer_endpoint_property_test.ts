/**
 * Property-based tests of the peer endpoint (`/v1/raft`) of the node app as it is served: frames
 * from non-members never change a member's term, vote, role, leader, log or commit index; frames
 * from the member never stop the node or move its term or commit index back; handshakes from
 * nobody (no token, a wrong one, malformed headers) are refused in the JSON envelope.
 *
 * The node is n1 of the cluster {n1, n2}, and the test plays n2: it grants n1's vote (n1 leads) or
 * sends it an AppendEntriesCall of a later term (n1 follows). Its election timeout is long, so no
 * timer fires during a run. The frames and the node come from tests/fuzz/, which also fuzzes the
 * endpoint's refusals and their metrics; `FUZZ_RUNS` scales the runs here too.
 */
import { afterAll, beforeAll, describe, expect } from "bun:test";
import fc from "fast-check";
import { NodeId, Term } from "../../packages/core/src/mod.ts";
import { fuzzParameters, fuzzRuns, fuzzTimeoutMs } from "../fuzz/fuzz_runs.ts";
import { frameArb, outsiderArb } from "../fuzz/peer_frame_arbs.ts";
import { makeLeader, PEER_TOKEN, type PeerFixture, servePeerNode, stateOf } from "../fuzz/peer_node.ts";
import { Peer } from "../helpers/peer_socket.ts";
import { slowIt } from "../helpers/slow_test.ts";

const TOKEN = PEER_TOKEN;
/** Generous for the CI counts, and scaled for a soak (`FUZZ_RUNS`). */
const TIMEOUT_MS = fuzzTimeoutMs(fuzzRuns(80), 100);
const idPool = ["n1", "n2", "n3", "x", "n9"];
type Fixture = PeerFixture;
const serveNode = () => servePeerNode();

/** Makes n1 follow n2: an AppendEntriesCall of a later term that extends its log. */
async function makeFollower(fixture: Fixture, n2: Peer): Promise<void> {
  const raft = fixture.node.runtime.node;
  const term = raft.currentTerm + 5;
  const prev = raft.log.lastPosition;
  const entries = { prev: { term: prev.term, index: prev.index }, items: [{ kind: "term", term }] };
  const call = { v: 1, type: "AppendEntriesCall", from: "n2", term, commitIndex: 0, entries, seq: 1 };
  await n2.send(JSON.stringify(call));
  expect(raft.leaderId).toBe(NodeId.of("n2"));
}

async function expectServing(fixture: Fixture): Promise<void> {
  const answer = await fetch(`${fixture.url}/livez`);
  expect(answer.status).toBe(200);
  await answer.body?.cancel();
  expect(fixture.node.runtime.stopped).toBe(false);
}

// ---------------------------------------------------------------------------- properties

for (const state of ["leader", "follower"] as const) {
  describe(`the peer endpoint of a ${state}`, () => {
    let fixture: Fixture;
    let n2: Peer;
    beforeAll(async () => {
      // Check-quorum off: a soak (FUZZ_RUNS) may last longer than the election timeout, after which
      // a leader that never hears from n2 would step down.
      fixture = await servePeerNode(state === "leader" ? ["--check-quorum", "false"] : []);
      n2 = await Peer.open(fixture.url, "n2", TOKEN);
      if (state === "leader") await makeLeader(fixture, n2);
      else await makeFollower(fixture, n2);
    }, TIMEOUT_MS);
    afterAll(async () => {
      n2?.close();
      await fixture?.stop();
    }, TIMEOUT_MS);

    slowIt(
      `frames from non-members change nothing on a ${state}`,
      async () => {
        await fc.assert(
          fc.asyncProperty(
            outsiderArb.chain((id) =>
              fc.tuple(fc.constant(id), fc.array(frameArb(id, ["n1", "n3", "x"]), { minLength: 1, maxLength: 4 })),
            ),
            async ([id, frames]) => {
              const before = stateOf(fixture.node);
              const peer = await Peer.open(fixture.url, id, TOKEN);
              try {
                for (const frame of frames) await peer.send(frame);
              } finally {
                peer.close();
              }
              expect(stateOf(fixture.node)).toEqual(before);
            },
          ),
          fuzzParameters(60),
        );
        await expectServing(fixture);
        expect(fixture.node.runtime.node.role).toBe(state);
      },
      { timeoutMs: TIMEOUT_MS },
    );
  });
}

describe("the peer endpoint and its member", () => {
  let fixture: Fixture;
  beforeAll(async () => {
    fixture = await serveNode();
  }, TIMEOUT_MS);
  afterAll(() => fixture?.stop(), TIMEOUT_MS);

  slowIt(
    "frames from the member never stop the node nor move its term or commit index back",
    async () => {
      const n2 = await Peer.open(fixture.url, "n2", TOKEN);
      try {
        await fc.assert(
          fc.asyncProperty(fc.array(frameArb("n2", idPool), { minLength: 1, maxLength: 6 }), async (frames) => {
            for (const frame of frames) {
              const before = stateOf(fixture.node);
              await n2.send(frame);
              const after = stateOf(fixture.node);
              expect(after.term).toBeGreaterThanOrEqual(before.term);
              expect(after.term).toBeLessThanOrEqual(Term.MAX);
              expect(after.commit).toBeGreaterThanOrEqual(before.commit);
              expect(fixture.node.runtime.stopped).toBe(false);
            }
          }),
          fuzzParameters(60),
        );
      } finally {
        n2.close();
      }
      await expectServing(fixture);
    },
    { timeoutMs: TIMEOUT_MS },
  );
});

describe("the peer endpoint and nobody", () => {
  let fixture: Fixture;
  beforeAll(async () => {
    fixture = await serveNode();
  }, TIMEOUT_MS);
  afterAll(() => fixture?.stop(), TIMEOUT_MS);

  const header = fc.option(fc.string({ maxLength: 40 }), { nil: undefined });
  slowIt(
    "handshakes without the token, or with malformed headers, are refused in the envelope and change nothing",
    async () => {
      await fc.assert(
        fc.asyncProperty(
          fc.record({
            authorization: fc.oneof(header, fc.constant(`Bearer ${TOKEN}`), fc.constant("Bearer wrong-token")),
            id: fc.oneof(header, fc.constant("n2"), fc.constant("bad id!")),
            key: fc.oneof(header, fc.constant("dGhlIHNhbXBsZSBub25jZQ==")),
            version: fc.oneof(header, fc.constant("13")),
          }),
          async (h) => {
            // fetch sends header values without their leading and trailing whitespace.
            const id = h.id?.trim();
            const validId = id !== undefined && /^[A-Za-z0-9._-]{1,64}$/.test(id);
            const valid = h.authorization?.trim() === `Bearer ${TOKEN}` && validId && h.key?.trim().length === 24;
            fc.pre(!(valid && h.version?.trim() === "13")); // A complete, valid handshake would be upgraded.
            const before = stateOf(fixture.node);
            const headers: Record<string, string> = { connection: "Upgrade", upgrade: "websocket" };
            if (h.authorization !== undefined) headers.authorization = h.authorization;
            if (h.id !== undefined) headers["x-raft-node-id"] = h.id;
            if (h.key !== undefined) headers["sec-websocket-key"] = h.key;
            if (h.version !== undefined) headers["sec-websocket-version"] = h.version;
            let answer: Response;
            try {
              answer = await fetch(`${fixture.url}/v1/raft`, { headers });
            } catch {
              return; // A header value the client itself will not send.
            }
            expect(answer.status).toBeGreaterThanOrEqual(400);
            expect(answer.status).toBeLessThan(500);
            if (h.authorization?.trim() !== `Bearer ${TOKEN}`) expect(answer.status).toBe(401);
            const body = (await answer.json()) as { error?: { code?: string; message?: string } };
            expect(typeof body.error?.code).toBe("string");
            expect(typeof body.error?.message).toBe("string");
            expect(stateOf(fixture.node)).toEqual(before);
          },
        ),
        fuzzParameters(80),
      );
      await expectServing(fixture);
    },
    { timeoutMs: TIMEOUT_MS },
  );
});
