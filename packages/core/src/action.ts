/**
 * Actions: the I/O a node asks its runtime to perform, held as a coalescing set and drained in a
 * fixed priority order.
 */
import type { NodeId } from "./ids.ts";
import type { LogEntries } from "./log_entries.ts";
import { type Message, mergeMessages } from "./message.ts";

/**
 * One pending I/O operation. The durability contract, for a runtime that drains in order:
 *
 * - `SaveCurrentTerm` / `SaveVotedFor`: persist `node.currentTerm` / `node.votedFor`. Every term
 *   and vote drained so far (in this batch or earlier ones) must be durable before any message is
 *   sent: a vote sent before `votedFor` is durable can become a double vote after a crash, and a
 *   single voter that leads a term before the term is durable could lead it twice.
 * - `BroadcastMessage`: send to every node in `node.peers` at execution time, except those in
 *   `except` (followers whose in-flight window is full, with `maxInflightMessages`). Only leaders and
 *   candidates broadcast; it comes before `AppendLogEntries` so a leader replicates while it writes
 *   (Raft thesis §10.2.1). It may leave before the batch's append is durable, but not before every
 *   term/vote save drained so far is. The leader does not count unreported appends toward commit
 *   when the node runs with `trackDurableIndex` (report them with `handleLogDurable`); without it,
 *   the runtime must finish the append before it feeds the node any further input.
 * - `AppendLogEntries`: delete every stored entry with index > `entries.prevIndex`, then store the
 *   entries (with their payloads).
 * - `SendMessage`: replies and catch-up data. Must wait until every append and save drained before
 *   it is durable: a follower's reply vouches for the entries it reports.
 * - `InstallSnapshot`: bring `destination` up to at least this node's snapshot by user-defined
 *   means; the receiver then calls `handleSnapshotInstalled`. May be dropped or deduplicated.
 * - `SetElectionTimeout`: re-arm the node's single timer (it replaces the pending one); when it
 *   fires call `handleElectionTimeout`. Must not be dropped. The duration is the runtime's choice:
 *   randomised for followers and candidates, the heartbeat interval for leaders.
 *
 * Messages may be dropped, delayed, duplicated or reordered, and an AppendEntriesCall's entries
 * may be truncated; Raft tolerates all of it.
 */
export type Action =
  | { readonly type: "SetElectionTimeout" }
  | { readonly type: "SaveCurrentTerm" }
  | { readonly type: "SaveVotedFor" }
  | { readonly type: "BroadcastMessage"; readonly message: Message; readonly except?: readonly NodeId[] }
  | { readonly type: "AppendLogEntries"; readonly entries: LogEntries }
  | { readonly type: "SendMessage"; readonly destination: NodeId; readonly message: Message }
  | { readonly type: "InstallSnapshot"; readonly destination: NodeId };

const SET_ELECTION_TIMEOUT: Action = Object.freeze({ type: "SetElectionTimeout" });
const SAVE_CURRENT_TERM: Action = Object.freeze({ type: "SaveCurrentTerm" });
const SAVE_VOTED_FOR: Action = Object.freeze({ type: "SaveVotedFor" });

function smallest<T extends string>(keys: ReadonlyMap<T, unknown> | ReadonlySet<T>): T | undefined {
  if (keys.size === 0) return undefined;
  let min: T | undefined;
  for (const k of keys.keys()) if (min === undefined || k < min) min = k;
  return min;
}

/**
 * Every action pending at one point, taken at once with {@link Actions.take} (like etcd-raft's
 * Ready): the runtime performs the whole batch under the contract of {@link Action}, in the order
 * of the fields below.
 */
export interface ActionBatch {
  /** Re-arm the election (or heartbeat) timer. */
  readonly setElectionTimeout: boolean;
  /** Persist `node.currentTerm`. */
  readonly saveCurrentTerm: boolean;
  /** Persist `node.votedFor`. */
  readonly saveVotedFor: boolean;
  /** A message for every node in `node.peers` except those in `broadcastExcept`. */
  readonly broadcastMessage: Message | null;
  /** Peers the broadcast must not reach (flow control), in ascending order; empty without a broadcast. */
  readonly broadcastExcept: readonly NodeId[];
  /** Entries to store, overwriting any stored entries after their prev index. */
  readonly appendLogEntries: LogEntries | null;
  /** One message per destination (replies and catch-up data), in ascending destination order. */
  readonly sendMessages: ReadonlyArray<readonly [NodeId, Message]>;
  /** Nodes that need a snapshot, in ascending order. */
  readonly installSnapshots: readonly NodeId[];
}

/**
 * The pending actions of a node: a set, not a queue. Flags coalesce, appends concatenate, and
 * messages to one destination merge, so calls made between two drains batch for free.
 * Drain order: SetElectionTimeout, SaveCurrentTerm, SaveVotedFor, BroadcastMessage,
 * AppendLogEntries, SendMessage (ascending destination), InstallSnapshot (ascending destination).
 * The fields are public so a runtime may take parts directly.
 */
export class Actions implements Iterable<Action> {
  /** Re-arm the election (or heartbeat) timer. */
  setElectionTimeout = false;
  /** Persist the current term. */
  saveCurrentTerm = false;
  /** Persist the vote. */
  saveVotedFor = false;
  /** A message for every peer. */
  broadcastMessage: Message | null = null;
  /** Peers the pending broadcast must not reach (their in-flight window is full). */
  readonly broadcastExcept: Set<NodeId> = new Set();
  /** Entries to store (overwriting any stored entries after their prev index). */
  appendLogEntries: LogEntries | null = null;
  /** Every pending send but a lone one (see {@link Actions.sendMessages}). */
  readonly #sends = new Map<NodeId, Message>();
  /** A lone pending send (the usual case: a follower's one reply) is kept out of the map. */
  #soleTo: NodeId | null = null;
  #soleMessage: Message | null = null;
  /** Nodes that need a snapshot. */
  readonly installSnapshots: Set<NodeId> = new Set();
  /** True iff `appendLogEntries` is a segment the node does not own (a leader's call): copy before mutating. */
  #appendBorrowed = false;

  /**
   * One message per destination. The map is complete when read; read it afresh after each call
   * to the node (a lone send is recorded outside it until the map is read).
   */
  get sendMessages(): Map<NodeId, Message> {
    if (this.#soleTo !== null) this.#spillSole();
    return this.#sends;
  }

  /** True iff nothing is pending. */
  get isEmpty(): boolean {
    return (
      !this.setElectionTimeout &&
      !this.saveCurrentTerm &&
      !this.saveVotedFor &&
      this.broadcastMessage === null &&
      this.appendLogEntries === null &&
      this.#soleTo === null &&
      this.#sends.size === 0 &&
      this.installSnapshots.size === 0
    );
  }

  /** Removes and returns every pending action as one batch; afterwards nothing is pending. */
  take(): ActionBatch {
    const batch: ActionBatch = {
      setElectionTimeout: this.setElectionTimeout,
      saveCurrentTerm: this.saveCurrentTerm,
      saveVotedFor: this.saveVotedFor,
      broadcastMessage: this.broadcastMessage,
      broadcastExcept: this.broadcastMessage === null ? [] : [...this.broadcastExcept].sort(),
      appendLogEntries: this.appendLogEntries,
      sendMessages: this.#takeSends(),
      installSnapshots: [...this.installSnapshots].sort(),
    };
    this.setElectionTimeout = false;
    this.saveCurrentTerm = false;
    this.saveVotedFor = false;
    this.broadcastMessage = null;
    if (this.broadcastExcept.size > 0) this.broadcastExcept.clear();
    this.appendLogEntries = null;
    this.#appendBorrowed = false;
    if (this.#sends.size > 0) this.#sends.clear();
    if (this.installSnapshots.size > 0) this.installSnapshots.clear();
    return batch;
  }

  /** Removes and returns the highest-priority pending action, or undefined when none is left. */
  next(): Action | undefined {
    if (this.setElectionTimeout) {
      this.setElectionTimeout = false;
      return SET_ELECTION_TIMEOUT;
    }
    if (this.saveCurrentTerm) {
      this.saveCurrentTerm = false;
      return SAVE_CURRENT_TERM;
    }
    if (this.saveVotedFor) {
      this.saveVotedFor = false;
      return SAVE_VOTED_FOR;
    }
    if (this.broadcastMessage !== null) {
      const message = this.broadcastMessage;
      this.broadcastMessage = null;
      if (this.broadcastExcept.size === 0) return { type: "BroadcastMessage", message };
      const except = [...this.broadcastExcept].sort();
      this.broadcastExcept.clear();
      return { type: "BroadcastMessage", message, except };
    }
    if (this.appendLogEntries !== null) {
      const entries = this.appendLogEntries;
      this.appendLogEntries = null;
      this.#appendBorrowed = false;
      return { type: "AppendLogEntries", entries };
    }
    const soleTo = this.#soleTo;
    if (soleTo !== null) {
      const message = this.#soleMessage as Message;
      this.#soleTo = null;
      this.#soleMessage = null;
      return { type: "SendMessage", destination: soleTo, message };
    }
    if (this.#sends.size > 0) return this.#nextSend();
    return this.installSnapshots.size > 0 ? this.#nextInstall() : undefined;
  }

  /** Iterates by draining: each step removes the action it yields. */
  [Symbol.iterator](): Iterator<Action> {
    return {
      next: (): IteratorResult<Action> => {
        const value = this.next();
        return value === undefined ? { value: undefined, done: true } : { value, done: false };
      },
    };
  }

  /**
   * Records entries to store, concatenating with a pending append. With `borrowed`, `entries` is a
   * segment the node does not own (the one of a leader's call, which may reach other nodes too):
   * it may become the pending append as it is, and is copied before the node would change it.
   */
  addAppend(entries: LogEntries, borrowed = false): void {
    if (this.appendLogEntries === null) {
      this.appendLogEntries = entries;
      this.#appendBorrowed = borrowed;
    } else {
      (this.ownedAppend() as LogEntries).append(entries);
    }
  }

  /**
   * The pending append, as a segment the node may change (a borrowed one is copied first and the
   * copy takes its place); null if none is pending.
   */
  ownedAppend(): LogEntries | null {
    const pending = this.appendLogEntries;
    if (pending === null || !this.#appendBorrowed) return pending;
    this.#appendBorrowed = false;
    this.appendLogEntries = pending.clone();
    return this.appendLogEntries;
  }

  /**
   * Records a broadcast, merging with a pending one. A broadcast that replaces the pending one
   * (rather than extending it) reaches every peer: the exclusions belonged to the old message.
   */
  addBroadcast(message: Message): void {
    const pending = this.broadcastMessage;
    this.broadcastMessage = pending === null ? message : mergeMessages(pending, message);
    // (Checked first: clearing even an empty set costs as much as a small allocation.)
    if (this.broadcastMessage === message && this.broadcastExcept.size > 0) this.broadcastExcept.clear();
  }

  /** Records a message to one node, merging with a pending one to the same node. */
  addSend(destination: NodeId, message: Message): void {
    const soleTo = this.#soleTo;
    if (soleTo === null) {
      if (this.#sends.size === 0) {
        this.#soleTo = destination;
        this.#soleMessage = message;
        return;
      }
    } else if (soleTo === destination) {
      this.#soleMessage = mergeMessages(this.#soleMessage as Message, message);
      return;
    } else {
      this.#spillSole();
    }
    const sends = this.#sends;
    const pending = sends.get(destination);
    sends.set(destination, pending === undefined ? message : mergeMessages(pending, message));
  }

  /** Every pending send in ascending destination order (the map is cleared by the caller). */
  #takeSends(): Array<readonly [NodeId, Message]> {
    const soleTo = this.#soleTo;
    if (soleTo !== null && this.#sends.size === 0) {
      const message = this.#soleMessage as Message;
      this.#soleTo = null;
      this.#soleMessage = null;
      return [[soleTo, message]];
    }
    return [...this.sendMessages].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  }

  /** Moves the lone send into the map. */
  #spillSole(): void {
    this.#sends.set(this.#soleTo as NodeId, this.#soleMessage as Message);
    this.#soleTo = null;
    this.#soleMessage = null;
  }

  #nextSend(): Action | undefined {
    const sends = this.#sends;
    if (sends.size === 1) {
      for (const [destination, message] of sends) {
        sends.delete(destination);
        return { type: "SendMessage", destination, message };
      }
    }
    const destination = smallest(sends);
    if (destination === undefined) return undefined;
    const message = sends.get(destination) as Message;
    sends.delete(destination);
    return { type: "SendMessage", destination, message };
  }

  #nextInstall(): Action | undefined {
    const destination = smallest(this.installSnapshots);
    if (destination === undefined) return undefined;
    this.installSnapshots.delete(destination);
    return { type: "InstallSnapshot", destination };
  }
}
