/**
 * A tiny in-process cluster for tests: nodes exchange messages through a FIFO queue, storage
 * actions are applied to a per-node in-memory record at once, and timers are fired by hand.
 */
import {
  ClusterConfig,
  Log,
  type LogEntries,
  type Message,
  NodeId,
  RaftNode,
  type RaftNodeOptions,
} from "../../packages/core/src/mod.ts";

/** What a node has persisted. */
export interface StoredState {
  term: number;
  votedFor: NodeId | null;
  log: LogEntries;
  snapshotConfig: ClusterConfig;
}

/** A queued message. */
export interface Envelope {
  from: NodeId;
  to: NodeId;
  message: Message;
}

/** An in-process cluster of {@link RaftNode}s with perfect storage and a FIFO network. */
export class InMemoryCluster {
  readonly nodes = new Map<NodeId, RaftNode>();
  readonly stored = new Map<NodeId, StoredState>();
  readonly queue: Envelope[] = [];
  readonly timersArmed = new Map<NodeId, number>();
  readonly snapshotRequests: Array<{ from: NodeId; to: NodeId }> = [];
  /** Nodes whose incoming messages are dropped. */
  readonly isolated = new Set<NodeId>();

  constructor(
    ids: readonly string[],
    readonly options: RaftNodeOptions = {},
  ) {
    for (const raw of ids) this.add(raw);
  }

  /** Adds a fresh node. */
  add(raw: string): RaftNode {
    const id = NodeId.of(raw);
    const node = RaftNode.start(id, this.options);
    this.nodes.set(id, node);
    this.stored.set(id, {
      term: 0,
      votedFor: null,
      log: node.log.entries.clone(),
      snapshotConfig: ClusterConfig.EMPTY,
    });
    return node;
  }

  /** The node with id `raw`. */
  node(raw: string): RaftNode {
    const node = this.nodes.get(raw as NodeId);
    if (node === undefined) throw new Error(`no node ${raw}`);
    return node;
  }

  /** Drains every node's actions: storage at once, messages into the queue. */
  drainAll(): void {
    for (const node of this.nodes.values()) this.drain(node);
  }

  /** Drains one node's actions. */
  drain(node: RaftNode): void {
    const stored = this.stored.get(node.id) as StoredState;
    for (const action of node.actions) {
      switch (action.type) {
        case "SetElectionTimeout":
          this.timersArmed.set(node.id, (this.timersArmed.get(node.id) ?? 0) + 1);
          break;
        case "SaveCurrentTerm":
          stored.term = node.currentTerm;
          break;
        case "SaveVotedFor":
          stored.votedFor = node.votedFor;
          break;
        case "AppendLogEntries":
          if (action.entries.prevIndex < stored.log.prevIndex) stored.log = action.entries.clone();
          else stored.log.append(action.entries);
          break;
        case "BroadcastMessage":
          for (const to of node.peers) {
            if (action.except?.includes(to) === true) continue; // Flow control: its window is full.
            this.queue.push({ from: node.id, to, message: action.message });
          }
          break;
        case "SendMessage":
          this.queue.push({ from: node.id, to: action.destination, message: action.message });
          break;
        case "InstallSnapshot":
          this.snapshotRequests.push({ from: node.id, to: action.destination });
          break;
      }
    }
  }

  /** Delivers queued messages (draining after each) until nothing is left or `limit` deliveries. */
  run(limit = 100_000): number {
    this.drainAll();
    let delivered = 0;
    while (this.queue.length > 0 && delivered < limit) {
      const envelope = this.queue.shift() as Envelope;
      const target = this.nodes.get(envelope.to);
      if (target === undefined || this.isolated.has(envelope.to) || this.isolated.has(envelope.from)) continue;
      target.handleMessage(envelope.message);
      this.drain(target);
      delivered++;
    }
    return delivered;
  }

  /** The current leader, if exactly one node thinks it leads in the highest term. */
  leader(): RaftNode | undefined {
    let best: RaftNode | undefined;
    for (const node of this.nodes.values()) {
      if (node.role !== "leader") continue;
      if (best === undefined || node.currentTerm > best.currentTerm) best = node;
    }
    return best;
  }

  /** Restarts `raw` from what it persisted, with the next generation. */
  restart(raw: string): RaftNode {
    const old = this.node(raw);
    const stored = this.stored.get(old.id) as StoredState;
    const log = new Log(stored.snapshotConfig, stored.log.clone());
    const node = RaftNode.restart(
      old.id,
      (old.generation + 1) as never,
      stored.term as never,
      stored.votedFor,
      log,
      this.options,
    );
    this.nodes.set(old.id, node);
    return node;
  }
}
