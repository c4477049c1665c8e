/**
 * Builders and exact-action assertions for tests of the I/O-free core. Actions and messages hold
 * `LogEntries`, whose state lives in private fields that structural equality cannot see, so every
 * comparison goes through {@link plainAction}, which spells out each entry with its position.
 */
import { expect } from "bun:test";
import {
  type Action,
  type AppendEntriesCall,
  type AppendEntriesReply,
  ClusterConfig,
  Generation,
  Log,
  LogEntries,
  LogEntry,
  LogIndex,
  LogPosition,
  type Message,
  NodeId,
  type Payload,
  RaftNode,
  type RaftNodeOptions,
  type RequestVoteCall,
  type RequestVoteReply,
  Term,
} from "../../packages/core/src/mod.ts";

/** Brands a string as a node id. */
export function id(raw: string): NodeId {
  return NodeId.of(raw);
}

/** Brands a list of strings as node ids. */
export function ids(...raw: string[]): NodeId[] {
  return raw.map((r) => NodeId.of(r));
}

/** The position `term/index`. */
export function pos(term: number, index: number): LogPosition {
  return LogPosition.of(term, index);
}

/** A `term` entry. */
export function termEntry(term: number): LogEntry {
  return LogEntry.term(Term.of(term));
}

/** A `config` entry. */
export function configEntry(config: ClusterConfig): LogEntry {
  return LogEntry.config(config);
}

/** A `command` entry (payload "x" unless given). */
export function commandEntry(data: Payload = "x"): LogEntry {
  return LogEntry.command(data);
}

/** A configuration with the given voters (and optionally new voters and learners). */
export function voters(list: string[], newVoters: string[] = [], nonVoters: string[] = []): ClusterConfig {
  return new ClusterConfig({ voters: ids(...list), newVoters: ids(...newVoters), nonVoters: ids(...nonVoters) });
}

/** A segment after `prev` holding `list`. */
export function segment(prev: LogPosition, list: LogEntry[]): LogEntries {
  return LogEntries.from(prev, list);
}

/** A RequestVoteCall. */
export function voteCall(from: string, term: number, lastPosition: LogPosition): RequestVoteCall {
  return { type: "RequestVoteCall", from: id(from), term: Term.of(term), lastPosition };
}

/** A RequestVoteReply. */
export function voteReply(from: string, term: number, voteGranted: boolean): RequestVoteReply {
  return { type: "RequestVoteReply", from: id(from), term: Term.of(term), voteGranted };
}

/** The fields of an AppendEntriesCall, with plain numbers. */
export interface CallInit {
  from: string;
  term: number;
  commitIndex: number;
  entries: LogEntries;
  seq?: number;
}

/** An AppendEntriesCall (`seq` defaults to 0). */
export function appendCall(init: CallInit): AppendEntriesCall {
  return {
    type: "AppendEntriesCall",
    from: id(init.from),
    term: Term.of(init.term),
    commitIndex: LogIndex.of(init.commitIndex),
    entries: init.entries,
    seq: init.seq ?? 0,
  };
}

/** The fields of an AppendEntriesReply, with plain numbers. */
export interface ReplyInit {
  from: string;
  term: number;
  lastPosition: LogPosition;
  rejected: boolean;
  generation?: number;
  seq?: number;
}

/** An AppendEntriesReply (`generation` and `seq` default to 0). */
export function appendReply(init: ReplyInit): AppendEntriesReply {
  return {
    type: "AppendEntriesReply",
    from: id(init.from),
    term: Term.of(init.term),
    generation: Generation.of(init.generation ?? 0),
    lastPosition: init.lastPosition,
    rejected: init.rejected,
    seq: init.seq ?? 0,
  };
}

/** The SetElectionTimeout action. */
export const SET_TIMEOUT: Action = { type: "SetElectionTimeout" };
/** The SaveCurrentTerm action. */
export const SAVE_TERM: Action = { type: "SaveCurrentTerm" };
/** The SaveVotedFor action. */
export const SAVE_VOTE: Action = { type: "SaveVotedFor" };

/** A BroadcastMessage action (that must not reach `except`, when given). */
export function broadcast(message: Message, except?: readonly string[]): Action {
  if (except === undefined) return { type: "BroadcastMessage", message };
  return { type: "BroadcastMessage", message, except: except.map((id) => NodeId.of(id)) };
}

/** An AppendLogEntries action. */
export function append(entries: LogEntries): Action {
  return { type: "AppendLogEntries", entries };
}

/** A SendMessage action. */
export function send(destination: string, message: Message): Action {
  return { type: "SendMessage", destination: id(destination), message };
}

/** An InstallSnapshot action. */
export function installSnapshot(destination: string): Action {
  return { type: "InstallSnapshot", destination: id(destination) };
}

/** A comparable rendering of a position: "term/index". */
function plainPosition(p: LogPosition): string {
  return `${p.term}/${p.index}`;
}

/** A comparable rendering of one entry. */
export function plainEntry(entry: LogEntry): unknown {
  if (entry.kind === "term") return { term: entry.term };
  if (entry.kind === "config") return { config: entry.config.toJSON() };
  return { command: entry.data };
}

/** A comparable rendering of a segment: its prev and last positions and each entry with its position. */
export function plainEntries(entries: LogEntries): unknown {
  return {
    prev: plainPosition(entries.prevPosition),
    last: plainPosition(entries.lastPosition),
    entries: [...entries.withPositions()].map(([p, e]) => [plainPosition(p), plainEntry(e)]),
  };
}

/** A comparable rendering of a message. */
export function plainMessage(message: Message): unknown {
  switch (message.type) {
    case "RequestVoteCall":
      return { ...message, lastPosition: plainPosition(message.lastPosition) };
    case "RequestVoteReply":
      return { ...message };
    case "AppendEntriesCall":
      return { ...message, entries: plainEntries(message.entries) };
    case "AppendEntriesReply":
      return { ...message, lastPosition: plainPosition(message.lastPosition) };
  }
}

/** A comparable rendering of an action. */
export function plainAction(action: Action): unknown {
  switch (action.type) {
    case "BroadcastMessage":
      return action.except === undefined
        ? { type: action.type, message: plainMessage(action.message) }
        : { type: action.type, message: plainMessage(action.message), except: [...action.except] };
    case "AppendLogEntries":
      return { type: action.type, entries: plainEntries(action.entries) };
    case "SendMessage":
      return { type: action.type, destination: action.destination, message: plainMessage(action.message) };
    default:
      return { ...action };
  }
}

const RANK: Record<Action["type"], number> = {
  SetElectionTimeout: 0,
  SaveCurrentTerm: 1,
  SaveVotedFor: 2,
  BroadcastMessage: 3,
  AppendLogEntries: 4,
  SendMessage: 5,
  InstallSnapshot: 6,
};

function destinationOf(action: Action): string {
  return action.type === "SendMessage" || action.type === "InstallSnapshot" ? action.destination : "";
}

/** `actions` sorted into the documented drain order (priority, then ascending destination). */
export function inDrainOrder(actions: readonly Action[]): Action[] {
  return [...actions].sort((a, b) => {
    const byRank = RANK[a.type] - RANK[b.type];
    if (byRank !== 0) return byRank;
    const da = destinationOf(a);
    const db = destinationOf(b);
    return da < db ? -1 : da > db ? 1 : 0;
  });
}

/** Drains the node's pending actions into an array (in drain order). */
export function drain(node: RaftNode): Action[] {
  return [...node.actions];
}

/**
 * Drains `node` and asserts that exactly `expected` was pending: every expected action with
 * identical content, nothing else, and drained in the documented priority order.
 */
export function expectActions(node: RaftNode, expected: readonly Action[]): Action[] {
  const actual = drain(node);
  expect(actual.map(plainAction)).toEqual(inDrainOrder(expected).map(plainAction));
  expect(node.actions.isEmpty).toBe(true);
  return actual;
}

/** Asserts that nothing is pending on `node`. */
export function expectNoActions(node: RaftNode): void {
  expectActions(node, []);
}

/** Asserts that two segments hold the same entries at the same positions. */
export function expectSameEntries(actual: LogEntries, expected: LogEntries): void {
  expect(plainEntries(actual)).toEqual(plainEntries(expected));
}

/** Asserts that two messages are equal (segments compared entry by entry). */
export function expectSameMessage(actual: Message, expected: Message): void {
  expect(plainMessage(actual)).toEqual(plainMessage(expected));
}

/** The message sent to `destination` among `actions`, or undefined. */
export function sentTo(actions: readonly Action[], destination: string): Message | undefined {
  for (const a of actions) if (a.type === "SendMessage" && a.destination === destination) return a.message;
  return undefined;
}

/** The broadcast message among `actions`, or undefined. */
export function broadcastOf(actions: readonly Action[]): Message | undefined {
  for (const a of actions) if (a.type === "BroadcastMessage") return a.message;
  return undefined;
}

/** The persisted state a node is restarted from, for {@link restarted}. */
export interface RestartInit {
  term: number;
  votedFor?: string | null;
  /** The log entries; their prev position is the snapshot position. */
  entries: LogEntries;
  /** The configuration at the snapshot position (default: empty). */
  snapshotConfig?: ClusterConfig;
  generation?: number;
  options?: RaftNodeOptions;
}

/** A node restarted from `init`; asserts that it asks only for an election timeout, and drains that. */
export function restarted(name: string, init: RestartInit): RaftNode {
  const node = RaftNode.restart(
    id(name),
    Generation.of(init.generation ?? 1),
    Term.of(init.term),
    init.votedFor === undefined || init.votedFor === null ? null : id(init.votedFor),
    new Log(init.snapshotConfig ?? ClusterConfig.EMPTY, init.entries),
    init.options,
  );
  expectActions(node, [SET_TIMEOUT]);
  return node;
}

/**
 * Makes a follower or candidate campaign and win with the votes of `grantors`; drains what it
 * emitted on the way. Returns the node.
 */
export function elect(node: RaftNode, grantors: string[]): RaftNode {
  node.handleElectionTimeout();
  expect(node.role).toBe("candidate");
  drain(node);
  for (const g of grantors) node.handleMessage(voteReply(g, node.currentTerm, true));
  expect(node.role).toBe("leader");
  drain(node);
  return node;
}
