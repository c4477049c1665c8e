/**
 * The core benchmark's cluster: three RaftNodes in one process, an in-memory log per node,
 * messages delivered by function call from one FIFO queue. It does what the reference harness
 * (scripts/bench_core_ref) does with raftbare, step for step, so that both sides pay the same
 * harness costs: terms and votes go to variables, an append truncates the stored log to the
 * entries' previous index and pushes one value per entry, a broadcast is queued once per peer,
 * and every node compacts once 10,000 committed entries follow its snapshot.
 */
import {
  type LogEntries,
  type LogEntry,
  type Message,
  NodeId,
  RaftNode,
  type RaftNodeOptions,
} from "../../packages/core/src/mod.ts";

/** Every node compacts its log once this many committed entries follow its snapshot, as a runtime would. */
export const COMPACT_EVERY = 10_000;

/** What one node has written to its (in-memory) storage. */
interface Stored {
  /** Payloads of the stored entries after `base` (null for non-command entries). */
  payloads: unknown[];
  base: number;
  term: number;
  votedFor: string | null;
}

/** A three-node cluster driven synchronously; node 0 leads. */
export class CoreBenchCluster {
  readonly nodes: RaftNode[];
  readonly #stored: Stored[] = [];
  readonly #indexOf = new Map<string, number>();
  /** The delivery queue: destination node indexes and messages, consumed from `#head`. */
  #queueTo: number[] = [];
  #queueMessage: Message[] = [];
  #head = 0;

  /** Starts three nodes with `options`, bootstraps the cluster on node 0 and elects it. */
  constructor(options: RaftNodeOptions) {
    const ids = ["n0", "n1", "n2"].map((s) => NodeId.of(s));
    this.nodes = ids.map((id) => RaftNode.start(id, options));
    for (let i = 0; i < ids.length; i++) {
      this.#indexOf.set(ids[i], i);
      this.#stored.push({ payloads: [], base: 0, term: 0, votedFor: null });
    }
    const created = this.leader.createCluster(ids);
    if (!created.ok) throw new Error(`bench setup: createCluster refused: ${created.reason}`);
    this.settle();
    if (this.leader.role !== "leader") throw new Error("bench setup: n0 did not become leader");
  }

  /** Node 0, the leader. */
  get leader(): RaftNode {
    return this.nodes[0];
  }

  /** Delivers messages until the network is quiet, then lets every node compact. */
  settle(): void {
    const n = this.nodes.length;
    for (let i = 0; i < n; i++) this.#drain(i);
    const to = this.#queueTo;
    const messages = this.#queueMessage;
    while (this.#head < to.length) {
      const k = this.#head++;
      const i = to[k];
      this.nodes[i].handleMessage(messages[k]);
      this.#drain(i);
    }
    to.length = 0;
    messages.length = 0;
    this.#head = 0;
    for (let i = 0; i < n; i++) this.#compact(i);
  }

  /** Throws unless every node stored `commands` commands after the two setup entries, and the leader committed them. */
  verify(commands: number): void {
    for (let i = 0; i < this.nodes.length; i++) {
      const node = this.nodes[i];
      const stored = this.#stored[i];
      const total = stored.base + stored.payloads.length;
      // Followers learn the final commit index with the next message; the leader knows it now.
      if (total !== commands + 2 || (i === 0 && node.commitIndex !== total) || stored.term !== node.currentTerm) {
        throw new Error(`${node.id} stored ${total} entries (commit ${node.commitIndex}), expected ${commands + 2}`);
      }
    }
  }

  /** Executes node `i`'s pending actions. */
  #drain(i: number): void {
    const node = this.nodes[i];
    const stored = this.#stored[i];
    const actions = node.actions;
    for (let action = actions.next(); action !== undefined; action = actions.next()) {
      switch (action.type) {
        case "SaveCurrentTerm":
          stored.term = node.currentTerm;
          break;
        case "SaveVotedFor":
          stored.votedFor = node.votedFor;
          break;
        case "AppendLogEntries":
          store(stored, action.entries);
          break;
        case "BroadcastMessage":
          for (let peer = 0; peer < this.nodes.length; peer++) {
            if (peer === i || action.except?.includes(this.nodes[peer].id) === true) continue;
            this.#queueTo.push(peer);
            this.#queueMessage.push(action.message);
          }
          break;
        case "SendMessage":
          this.#queueTo.push(this.#indexOf.get(action.destination) as number);
          this.#queueMessage.push(action.message);
          break;
        default:
          break;
      }
    }
  }

  /** Snapshots at the commit index (the state machine here is the payload list) and trims storage. */
  #compact(i: number): void {
    const node = this.nodes[i];
    if (node.commitIndex - node.log.snapshotPosition.index < COMPACT_EVERY) return;
    const at = node.log.getPositionAndConfig(node.commitIndex);
    if (at === undefined || !node.handleSnapshotInstalled(at.position, at.config)) {
      throw new Error(`${node.id} could not compact at ${node.commitIndex}`);
    }
    const stored = this.#stored[i];
    stored.payloads.splice(0, at.position.index - stored.base);
    stored.base = at.position.index;
  }
}

function store(stored: Stored, entries: LogEntries): void {
  const prev = entries.prevIndex;
  if (prev < stored.base) throw new Error("append below the snapshot");
  stored.payloads.length = prev - stored.base;
  for (let i = prev + 1, last = entries.lastIndex; i <= last; i++) {
    const entry = entries.getEntry(i) as LogEntry;
    stored.payloads.push(entry.kind === "command" ? entry.data : null);
  }
}

/**
 * Runs one mode on a fresh cluster: proposes `batch` commands and delivers until they commit,
 * `commands / batch` times. Returns microseconds per committed command.
 */
export function runCoreMode(commands: number, batch: number, options: RaftNodeOptions = {}): number {
  const rounds = Math.ceil(commands / batch);
  const cluster = new CoreBenchCluster(options);
  const leader = cluster.leader;
  const data = new Uint8Array(100);
  data[0] = 7;
  const start = performance.now();
  for (let r = 0; r < rounds; r++) {
    let last = 0;
    for (let k = 0; k < batch; k++) {
      const result = leader.proposeCommand(data);
      if (!result.ok) throw new Error(`proposal refused: ${result.reason}`);
      last = result.position.index;
    }
    cluster.settle();
    if (leader.commitIndex < last) throw new Error(`batch ending at ${last} did not commit`);
  }
  const elapsed = performance.now() - start;
  cluster.verify(rounds * batch);
  return (elapsed * 1000) / (rounds * batch);
}
