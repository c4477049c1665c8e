/**
 * Simulated clients of the KV service. They write unique values to a few keys and read them back
 * linearizably, through the service facade the HTTP API uses, on whichever node they pick, and
 * record every outcome. Checked:
 *
 * - a write answered `definite: true` (it certainly never takes effect) is never applied, on any
 *   node, before or after the answer;
 * - an acknowledged write was applied at the index it was acknowledged with;
 * - a linearizable read returns a value that some write of that key issued before the read
 *   completed, not answered definite, at that write's index; and it reflects every write of the
 *   key acknowledged before the read was issued (its revision is at least theirs).
 *
 * A node that crashes answers nobody: its clients' operations in flight end with an unknown outcome.
 */
import type { NodeId } from "../../packages/core/src/mod.ts";
import type { ApplyResult } from "../../src/kv/mod.ts";
import { SafetyViolation } from "./checker.ts";
import type { Prng } from "./prng.ts";
import type { SimNode } from "./sim_node.ts";

/** A write as the client saw it. */
interface WriteRecord {
  readonly key: string;
  readonly value: string;
  readonly node: NodeId;
  /** Client-side order of the moment it was issued. */
  readonly issued: number;
  status: "pending" | "acked" | "definite" | "unknown";
  /** Order of the moment the client saw it acknowledged. */
  acked?: number;
  /** The index the write was acknowledged with. */
  index?: number;
  /** Where it was applied (index), if anywhere. */
  appliedAt?: number;
  /** The error code of a definite failure. */
  code?: string;
}

/** Counts for the run summary. */
export interface ClientStats {
  writes: number;
  acked: number;
  definite: number;
  /** Definite failures answered `overloaded` (a full queue, or the leader's uncommitted-bytes limit). */
  overloaded: number;
  unknown: number;
  reads: number;
  readsOk: number;
}

/** What the clients need from the simulation. */
export interface ClientContext {
  readonly rng: Prng;
  /** Every node. */
  readonly nodes: readonly SimNode[];
  trace(line: string): void;
  /** A check failed in a promise continuation: the run fails with `error`. */
  fail(error: unknown): void;
}

const KEYS = ["k0", "k1", "k2", "k3", "k4", "k5"];
/** Operations in flight at most; the clients wait when there are more. */
const MAX_IN_FLIGHT = 64;

/** The KV clients of one run. */
export class SimClients {
  readonly stats: ClientStats = {
    writes: 0,
    acked: 0,
    definite: 0,
    overloaded: 0,
    unknown: 0,
    reads: 0,
    readsOk: 0,
  };
  readonly #ctx: ClientContext;
  readonly #writes = new Map<string, WriteRecord>();
  /** Acknowledged writes by key, in acknowledgement order. */
  readonly #ackedByKey = new Map<string, WriteRecord[]>();
  /** Operations in flight by node: a crash makes their outcome unknown. */
  readonly #inFlight = new Map<NodeId, Set<WriteRecord | "read">>();
  #order = 0;
  #values = 0;
  #open = 0;

  /** Clients of the nodes in `ctx`. */
  constructor(ctx: ClientContext) {
    this.#ctx = ctx;
  }

  /** Issues one to three operations on nodes that are up (mostly on the leader of the highest term). */
  issue(): void {
    const count = this.#ctx.rng.int(1, 3);
    for (let k = 0; k < count && this.#open < MAX_IN_FLIGHT; k++) {
      const node = this.#pickNode();
      if (node === undefined) return;
      if (this.#ctx.rng.chance(0.7)) this.#write(node);
      else this.#read(node);
    }
  }

  /** `node` crashed: what its clients were waiting for has an unknown outcome. */
  crashed(node: SimNode): void {
    const ops = this.#inFlight.get(node.id);
    if (ops === undefined) return;
    for (const op of ops) {
      this.#open--;
      if (op === "read") continue;
      op.status = "unknown";
      this.stats.unknown++;
    }
    this.#inFlight.delete(node.id);
  }

  /** `node` applied the command `payload` at `index` with `result`: no definite failure may take effect. */
  applied(node: SimNode, index: number, payload: Uint8Array | string, result: ApplyResult): void {
    if (typeof payload !== "string" || !result.ok) return;
    const value = putValueOf(payload);
    const write = value === undefined ? undefined : this.#writes.get(value);
    if (write === undefined) return;
    if (write.appliedAt !== undefined && write.appliedAt !== index) {
      throw new SafetyViolation(`client: ${value} was applied at ${write.appliedAt} and at ${index} (on ${node.id})`);
    }
    write.appliedAt = index;
    if (write.status === "definite") {
      throw new SafetyViolation(
        `client: ${node.id} applied ${write.value} at ${index}, a write answered definite failure (${write.code})`,
      );
    }
  }

  /** Operations still waiting for an answer. */
  get open(): number {
    return this.#open;
  }

  #pickNode(): SimNode | undefined {
    const up = this.#ctx.nodes.filter((n) => n.up);
    if (up.length === 0) return undefined;
    const leaders = up.filter((n) => n.raft.role === "leader").sort((a, b) => b.raft.currentTerm - a.raft.currentTerm);
    if (leaders.length > 0 && this.#ctx.rng.chance(0.8)) return leaders[0];
    return this.#ctx.rng.pick(up);
  }

  #track(node: SimNode, op: WriteRecord | "read"): () => boolean {
    let ops = this.#inFlight.get(node.id);
    if (ops === undefined) {
      ops = new Set();
      this.#inFlight.set(node.id, ops);
    }
    ops.add(op);
    this.#open++;
    const incarnation = node.incarnation;
    return () => {
      // A crashed process answers nobody (its clients saw the connection drop).
      if (node.incarnation !== incarnation || !ops.has(op)) return false;
      ops.delete(op);
      this.#open--;
      return true;
    };
  }

  #write(node: SimNode): void {
    const key = this.#ctx.rng.pick(KEYS);
    const value = `w${++this.#values}`;
    const write: WriteRecord = { key, value, node: node.id, issued: ++this.#order, status: "pending" };
    this.#writes.set(value, write);
    this.stats.writes++;
    const answered = this.#track(node, write);
    node.core.service.put(key, value, {}).then((result) =>
      this.#checked(() => {
        if (!answered()) return;
        if (result.ok) this.#acked(write, result.index);
        else this.#failed(write, result.code, result.definite === true);
      }),
    );
  }

  #acked(write: WriteRecord, index: number): void {
    if (write.appliedAt !== undefined && write.appliedAt !== index) {
      throw new SafetyViolation(`client: ${write.value} acknowledged at ${index} but applied at ${write.appliedAt}`);
    }
    write.status = "acked";
    write.acked = ++this.#order;
    write.index = index;
    this.stats.acked++;
    const list = this.#ackedByKey.get(write.key) ?? [];
    list.push(write);
    this.#ackedByKey.set(write.key, list);
  }

  #failed(write: WriteRecord, code: string, definite: boolean): void {
    if (!definite) {
      write.status = "unknown";
      this.stats.unknown++;
      return;
    }
    if (write.appliedAt !== undefined) {
      throw new SafetyViolation(
        `client: ${write.value} was answered definite failure (${code}) but was applied at ${write.appliedAt}`,
      );
    }
    write.status = "definite";
    write.code = code;
    this.stats.definite++;
    if (code === "overloaded") this.stats.overloaded++;
  }

  #read(node: SimNode): void {
    const key = this.#ctx.rng.pick(KEYS);
    const issued = ++this.#order;
    this.stats.reads++;
    const answered = this.#track(node, "read");
    node.core.service.get(key, "linearizable").then((result) =>
      this.#checked(() => {
        if (!answered() || !result.ok) return;
        this.stats.readsOk++;
        this.#checkRead(node.id, key, issued, result.kv);
      }),
    );
  }

  #checked(fn: () => void): void {
    try {
      fn();
    } catch (error) {
      this.#ctx.fail(error);
    }
  }

  #checkRead(id: NodeId, key: string, issued: number, kv: { value: string; revision: number } | null): void {
    const mustSee = (this.#ackedByKey.get(key) ?? []).filter((w) => (w.acked as number) < issued);
    const newest = mustSee.reduce((max, w) => Math.max(max, w.index as number), 0);
    if (kv === null) {
      if (newest > 0)
        throw new SafetyViolation(`client: stale read of ${key} on ${id}: absent, but ${newest} was acked`);
      return;
    }
    const write = this.#writes.get(kv.value);
    if (write === undefined || write.key !== key) {
      throw new SafetyViolation(`client: read of ${key} on ${id} returned ${kv.value}, which no client wrote there`);
    }
    if (write.status === "definite") {
      throw new SafetyViolation(`client: read of ${key} on ${id} returned ${kv.value}, answered definite failure`);
    }
    if (write.index !== undefined && write.index !== kv.revision) {
      throw new SafetyViolation(`client: ${kv.value} read at revision ${kv.revision}, acknowledged at ${write.index}`);
    }
    if (kv.revision < newest) {
      throw new SafetyViolation(
        `client: stale read of ${key} on ${id}: revision ${kv.revision}, but a write at ${newest} was acked before the read`,
      );
    }
  }
}

/** The value of a put command payload (JSON), if it is one. */
function putValueOf(payload: string): string | undefined {
  try {
    const command = JSON.parse(payload) as { op?: unknown; value?: unknown };
    return command.op === "put" && typeof command.value === "string" ? command.value : undefined;
  } catch {
    return undefined;
  }
}
