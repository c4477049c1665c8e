/**
 * The fault run's clients: each issues one operation at a time (get, put, compare-and-set, delete of
 * unique values) against a random up node, and records what it learned, classified by the API's
 * own contract (README, "Errors"): a 2xx answer is `ok`; a cas refused with 409 `compare_failed` is
 * `ok` with output false; a get answered 404 `not_found` is `ok` with output absent; an error with
 * `definite: true` is `failed`; everything else (timeouts, resets, 502/504, `definite: false`, an
 * answer that is not the envelope) is `unknown`, after which the client goes on under a fresh id.
 * A read that got an error answer is `failed` (a read takes no effect, so it constrains nothing).
 */

import { httpJson, type JsonAnswer } from "../../tests/helpers/http_json.ts";
import { delay } from "../../tests/helpers/wait_for.ts";
import type { KvInput, KvOperation, KvOutput, Outcome } from "../../tests/linearizability/mod.ts";
import { kvOperation } from "../../tests/linearizability/mod.ts";
import { Prng } from "../../tests/sim/prng.ts";

/** What a client learned of one operation. */
export interface Learned {
  readonly outcome: Outcome;
  /** Present iff `outcome` is ok. */
  readonly output?: KvOutput;
}

/** The HTTP request of an operation on `key`: method, path and body. */
export function requestOf(key: string, input: KvInput): { method: string; path: string; body?: unknown } {
  const path = `/v1/kv/${encodeURIComponent(key)}`;
  switch (input.kind) {
    case "get":
      return { method: "GET", path };
    case "put":
      return { method: "PUT", path, body: { value: input.value } };
    case "delete":
      return { method: "DELETE", path };
    case "cas":
      return {
        method: "PUT",
        path,
        body:
          input.expect === null
            ? { value: input.value, expectRevision: 0 }
            : { value: input.value, expectValue: input.expect },
      };
  }
}

/** The error code and `definite` of an error envelope, if `body` is one. */
function envelopeOf(body: unknown): { code: string; definite: boolean | undefined } | undefined {
  if (typeof body !== "object" || body === null) return undefined;
  const error = (body as { error?: unknown }).error;
  if (typeof error !== "object" || error === null) return undefined;
  const { code, definite } = error as { code?: unknown; definite?: unknown };
  if (typeof code !== "string") return undefined;
  return { code, definite: typeof definite === "boolean" ? definite : undefined };
}

/** Classifies the answer to `input` (undefined: no answer at all) by the API's contract. */
export function classifyAnswer(input: KvInput, answer: JsonAnswer | undefined): Learned {
  if (answer === undefined) return { outcome: "unknown" };
  const ok = answer.status >= 200 && answer.status < 300;
  const envelope = ok ? undefined : envelopeOf(answer.body);
  if (input.kind === "get") {
    if (ok && typeof answer.body?.value === "string") return { outcome: "ok", output: answer.body.value };
    if (answer.status === 404 && envelope?.code === "not_found") return { outcome: "ok", output: null };
    return { outcome: envelope === undefined ? "unknown" : "failed" };
  }
  if (ok) return input.kind === "cas" ? { outcome: "ok", output: true } : { outcome: "ok", output: null };
  if (input.kind === "cas" && answer.status === 409 && envelope?.code === "compare_failed") {
    return { outcome: "ok", output: false };
  }
  return { outcome: envelope?.definite === true ? "failed" : "unknown" };
}

/** Sends `input` on `key` to the node at `url` and classifies the answer. */
export async function perform(url: string, key: string, input: KvInput, timeoutMs: number): Promise<Learned> {
  const request = requestOf(key, input);
  let answer: JsonAnswer | undefined;
  try {
    answer = await httpJson(request.method, `${url}${request.path}`, { body: request.body, timeoutMs });
  } catch {
    answer = undefined; // No answer: a timeout, a refused or reset connection.
  }
  return classifyAnswer(input, answer);
}

/** What the clients need from the run. */
export interface ClientEnvironment {
  /** The nodes a client may talk to now: id and URL (empty while none is up). */
  targets(): ReadonlyArray<{ readonly id: string; readonly url: string }>;
  /** Milliseconds since the run started, from a monotonic clock. */
  now(): number;
  /** Records a completed operation. */
  record(op: KvOperation): void;
  /** True once the history cannot take more operations. */
  full(): boolean;
}

/** Settings of a {@link ClientPool}. */
export interface ClientPoolOptions {
  readonly clients: number;
  readonly opsPerKey: number;
  /**
   * A key also retires after this many writes with an unknown outcome: each may take effect at any
   * later time, so a key with many of them is costly to check (the search space doubles with each).
   */
  readonly maxUnknownPerKey: number;
  readonly seed: number;
  /** How long a client waits for an answer (longer than the nodes' own request timeout). */
  readonly timeoutMs: number;
}

/** A client's pause after an unknown outcome (ms): bounds how many pile up while a leader is gone. */
const UNKNOWN_BACKOFF_MS: readonly [number, number] = [300, 800];
/** A client's pause after a definite failure (ms). */
const FAILED_BACKOFF_MS: readonly [number, number] = [20, 100];

/** Counts of outcomes, by kind and outcome. */
export type OutcomeCounts = Record<string, Record<Outcome, number>>;

/** Concurrent clients issuing operations until stopped. */
export class ClientPool {
  readonly #env: ClientEnvironment;
  readonly #options: ClientPoolOptions;
  readonly #lastKnown = new Map<string, string | null>();
  readonly counts: OutcomeCounts = {};
  #workers: Promise<void>[] = [];
  #stopping = false;
  #keyIndex = 0;
  #opsOnKey = 0;
  #unknownOnKey = 0;
  #nextClient = 0;

  /** A pool that is not running yet. */
  constructor(env: ClientEnvironment, options: ClientPoolOptions) {
    this.#env = env;
    this.#options = options;
  }

  /** Every key used so far, in order. */
  get keys(): string[] {
    return Array.from({ length: this.#keyIndex + 1 }, (_, i) => keyName(i));
  }

  /** Starts the clients. */
  start(): void {
    for (let w = 0; w < this.#options.clients; w++) this.#workers.push(this.#run(w));
  }

  /** Stops the clients and waits until each one's operation in flight has ended (bounded by their timeout). */
  async stop(): Promise<void> {
    this.#stopping = true;
    await Promise.all(this.#workers);
  }

  async #run(worker: number): Promise<void> {
    const random = new Prng(this.#options.seed * 131 + worker);
    let client = this.#nextClient++;
    for (let seq = 0; !this.#stopping && !this.#env.full(); seq++) {
      const targets = this.#env.targets();
      if (targets.length === 0) {
        await delay(100); // Nobody is up (say, every node was killed): wait for a restart.
        continue;
      }
      const target = random.pick(targets);
      const key = this.#nextKey();
      const input = this.#inputFor(random, key, `w${worker}-${seq}`);
      const call = this.#env.now();
      const learned = await perform(target.url, key, input, this.#options.timeoutMs);
      const ret = learned.outcome === "unknown" ? Number.POSITIVE_INFINITY : Math.max(call, this.#env.now());
      const op = kvOperation({
        client,
        key,
        input,
        call,
        return: ret,
        outcome: learned.outcome,
        node: target.id,
        ...outputOf(learned),
      });
      this.#env.record(op);
      this.#count(input.kind, learned.outcome);
      this.#learn(key, input, learned);
      if (learned.outcome === "unknown") {
        client = this.#nextClient++; // A client has one operation in flight at most.
        if (input.kind !== "get" && key === keyName(this.#keyIndex)) this.#unknownOnKey += 1;
        await delay(random.int(UNKNOWN_BACKOFF_MS[0], UNKNOWN_BACKOFF_MS[1])); // As a real client would before retrying.
      } else if (learned.outcome === "failed") {
        await delay(random.int(FAILED_BACKOFF_MS[0], FAILED_BACKOFF_MS[1])); // Refused (no leader yet): retry soon.
      }
    }
  }

  /** The key of the next operation: the current one, or the next once the current one retires. */
  #nextKey(): string {
    if (this.#opsOnKey >= this.#options.opsPerKey || this.#unknownOnKey >= this.#options.maxUnknownPerKey) {
      this.#keyIndex += 1;
      this.#opsOnKey = 0;
      this.#unknownOnKey = 0;
    }
    this.#opsOnKey += 1;
    return keyName(this.#keyIndex);
  }

  /** A random operation on `key`; a cas usually expects the last value seen, sometimes a stale one. */
  #inputFor(random: Prng, key: string, value: string): KvInput {
    const r = random.float();
    if (r < 0.4) return { kind: "get" };
    if (r < 0.65) return { kind: "put", value };
    if (r < 0.9) {
      const known = this.#lastKnown.get(key) ?? null;
      const expect = random.chance(0.2) ? `w${random.int(0, this.#options.clients - 1)}-${random.int(0, 50)}` : known;
      return { kind: "cas", expect, value };
    }
    return { kind: "delete" };
  }

  /** Remembers the value a successful operation left (for the next cas). */
  #learn(key: string, input: KvInput, learned: Learned): void {
    if (learned.outcome !== "ok") return;
    if (input.kind === "get") this.#lastKnown.set(key, learned.output as string | null);
    else if (input.kind === "put") this.#lastKnown.set(key, input.value);
    else if (input.kind === "delete") this.#lastKnown.set(key, null);
    else if (learned.output === true) this.#lastKnown.set(key, input.value);
  }

  #count(kind: string, outcome: Outcome): void {
    this.counts[kind] ??= { ok: 0, failed: 0, unknown: 0 };
    this.counts[kind][outcome] += 1;
  }
}

/** The name of the `i`-th key. */
export function keyName(i: number): string {
  return `k${i}`;
}

/** `{ output }` when the outcome is ok, else nothing. */
function outputOf(learned: Learned): { output?: KvOutput } {
  return learned.outcome === "ok" ? { output: learned.output } : {};
}
