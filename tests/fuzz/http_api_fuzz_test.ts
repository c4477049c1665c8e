/**
 * Hostile requests to every operation of the OpenAPI document, sent over a real socket to a node
 * served as a node process serves it: each is refused with a 4xx in the error envelope, the node
 * stays up (livez after every batch), its state is unchanged, and /metrics counts every refusal.
 * CI runs a few hundred requests; `FUZZ_RUNS=10000 bun test tests/fuzz/` is the soak.
 */
import { afterAll, beforeAll, describe, expect } from "bun:test";
import fc from "fast-check";
import { rawHttp } from "../helpers/raw_http.ts";
import { slowIt } from "../helpers/slow_test.ts";
import { allowedMethods, apiOperations } from "./api_operations.ts";
import { FUZZ_TOKENS, type FuzzNode, startFuzzNode } from "./fuzz_node.ts";
import { fuzzParameters, fuzzRuns, fuzzTimeoutMs } from "./fuzz_runs.ts";
import { describeCase, hostileRequestArb } from "./hostile_http_arbs.ts";
import { refusalProblems } from "./refusal_check.ts";

const CI_RUNS = 120;
const OPERATIONS = apiOperations();
const BY_ID = new Map(OPERATIONS.map((op) => [op.operationId, op]));
const TEMPLATES = [...new Set(OPERATIONS.map((op) => op.template))];
const caseArb = fc.oneof(
  ...OPERATIONS.map((op) =>
    hostileRequestArb(op, {
      allowed: allowedMethods(OPERATIONS, op.template),
      templates: TEMPLATES,
      tokens: FUZZ_TOKENS,
    }),
  ),
);

describe("hostile HTTP requests", () => {
  let node: FuzzNode;
  beforeAll(async () => {
    node = await startFuzzNode();
  }, 60_000);
  afterAll(() => node?.served.stop(), 60_000);

  slowIt(
    "to every operation are refused with a 4xx in the envelope; the node stays up, unchanged, and counts them",
    async () => {
      expect(OPERATIONS.length).toBeGreaterThanOrEqual(15);
      const before = await node.fingerprint();
      let sent = 0;
      await fc.assert(
        fc.asyncProperty(fc.array(caseArb, { minLength: 1, maxLength: 4 }), async (cases) => {
          const start = await node.counters();
          // Compared per batch too, so that fast-check shrinks to the batch that changed the state.
          const atStart = await node.fingerprint();
          let refused = 0;
          let authRefused = 0;
          for (const c of cases) {
            const answer = await rawHttp(node.served.port, { ...c.request, timeoutMs: 30_000 });
            const op = BY_ID.get(c.operationId);
            if (op === undefined) throw new Error(`unknown operation ${c.operationId}`);
            expect({ case: describeCase(c), problems: refusalProblems(answer, c, op) }).toEqual({
              case: describeCase(c),
              problems: [],
            });
            refused++;
            if (answer.status === 401 || answer.status === 403) authRefused++;
          }
          sent += cases.length;
          expect(await node.isLive()).toBe(true);
          expect(await node.fingerprint()).toBe(atStart);
          const end = await node.counters();
          expect({
            answered4xx: end.answered4xx - start.answered4xx,
            authFailures: end.authFailures - start.authFailures,
          }).toEqual({
            answered4xx: refused,
            authFailures: authRefused,
          });
        }),
        fuzzParameters(CI_RUNS),
      );
      expect(sent).toBeGreaterThanOrEqual(fuzzRuns(CI_RUNS));
      expect(await node.fingerprint()).toBe(before);
    },
    { timeoutMs: fuzzTimeoutMs(fuzzRuns(CI_RUNS), 200) },
  );
});
