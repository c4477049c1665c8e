/**
 * The action executor, the one implementation of the durability contract: replies wait for every
 * write before them, a leader's broadcast leaves before its own fsync, and a waiting reply whose
 * entries a later write overwrites is dropped instead of vouching for entries that are gone.
 */
import { describe, expect, it } from "bun:test";
import type { LogEntries, LogPosition, Message, NodeId, RaftNode, Term } from "../../packages/core/src/mod.ts";
import { ActionExecutor } from "../../src/server/action_executor.ts";
import type { RecoveredState, RuntimeStorage, RuntimeTransport, StoredSnapshot } from "../../src/server/ports.ts";
import {
  appendCall,
  commandEntry,
  configEntry,
  elect,
  pos,
  restarted,
  segment,
  termEntry,
  voters,
} from "../helpers/core_harness.ts";

const THREE = voters(["n0", "n1", "n2"]);

/** Storage whose syncs complete only when the test says so. */
class ManualStorage implements RuntimeStorage {
  readonly writes: string[] = [];
  #buffered = 0;
  #inFlight: (() => void) | null = null;
  durableTerm = 0 as Term;

  get recovered(): RecoveredState {
    throw new Error("not used");
  }
  get hasPending(): boolean {
    return this.#buffered > 0;
  }
  saveHardState(term: Term): void {
    this.writes.push(`term ${term}`);
    this.#buffered++;
  }
  append(entries: LogEntries): void {
    this.writes.push(`append ${entries.prevIndex}..${entries.lastIndex}`);
    this.#buffered++;
  }
  sync(done: () => void): void {
    expect(this.#inFlight).toBeNull();
    this.#buffered = 0;
    this.#inFlight = done;
  }
  syncNow(): void {
    this.complete();
    this.#buffered = 0;
  }
  /** Completes the sync in flight. */
  complete(): void {
    const done = this.#inFlight;
    this.#inFlight = null;
    done?.();
  }
  get syncing(): boolean {
    return this.#inFlight !== null;
  }
  installSnapshot(_snapshot: StoredSnapshot): void {}
  latestSnapshot(): StoredSnapshot | null {
    return null;
  }
  openLatestSnapshot(): null {
    return null;
  }
  reopen(): RecoveredState {
    throw new Error("not used");
  }
  close(): void {}
}

/** A transport that records what left, one line per destination. */
class RecordingTransport implements RuntimeTransport {
  readonly sent: string[] = [];
  send(to: NodeId, message: Message): boolean {
    this.sent.push(`${to} ${summary(message)}`);
    return true;
  }
  broadcast(to: readonly NodeId[], message: Message): void {
    for (const id of to) this.send(id, message);
  }
  sendSnapshot(): Promise<boolean> {
    return Promise.resolve(true);
  }
  setPeers(): void {}
  close(): void {}
}

/** A message in a few words. */
function summary(m: Message): string {
  if (m.type === "AppendEntriesReply") return `reply ${m.lastPosition.term}/${m.lastPosition.index}`;
  if (m.type === "AppendEntriesCall") return `call ${m.entries.prevIndex}+${m.entries.length}`;
  return m.type;
}

function fixture() {
  const storage = new ManualStorage();
  const transport = new RecordingTransport();
  const durable: Array<LogPosition | null> = [];
  const executor = new ActionExecutor(storage, transport, {
    armTimer: () => {},
    sendSnapshot: () => {},
    durable: (position) => durable.push(position),
  });
  return { storage, transport, executor, durable };
}

/** A follower n1 of THREE holding config, term 1 and a command at 1..3, all durable. */
function follower(): RaftNode {
  return restarted("n1", {
    term: 1,
    votedFor: "n0",
    entries: segment(pos(0, 0), [configEntry(THREE), termEntry(1), commandEntry("a")]),
  });
}

describe("ActionExecutor", () => {
  it("ActionExecutor holds a follower's reply until the append it reports is durable", () => {
    const { storage, transport, executor, durable } = fixture();
    const node = follower();
    node.handleMessage(
      appendCall({ from: "n0", term: 1, commitIndex: 3, entries: segment(pos(1, 3), [commandEntry("b")]) }),
    );
    executor.execute(node);
    expect(storage.writes).toEqual(["append 3..4"]);
    expect(transport.sent).toEqual([]);
    storage.complete();
    expect(transport.sent).toEqual(["n0 reply 1/4"]);
    expect(durable).toEqual([pos(1, 4)]);
  });

  it("ActionExecutor sends a leader's broadcast before its own append is durable, once its term is", () => {
    const { storage, transport, executor } = fixture();
    const node = elect(follower(), ["n2"]); // Drained: the election's saves are taken as written.
    node.proposeCommand("x");
    executor.execute(node);
    expect(storage.writes).toEqual(["append 4..5"]);
    expect(transport.sent).toEqual(["n0 call 4+1", "n2 call 4+1"]);
    expect(storage.syncing).toBe(true);
  });

  it("ActionExecutor holds a broadcast until the term it carries is durable", () => {
    const { storage, transport, executor } = fixture();
    const node = follower();
    node.handleElectionTimeout(); // A candidate: term 2 and the vote must be durable first.
    executor.execute(node);
    expect(storage.writes).toEqual(["term 2"]);
    expect(transport.sent).toEqual([]);
    storage.complete();
    expect(transport.sent).toEqual(["n0 RequestVoteCall", "n2 RequestVoteCall"]);
  });

  it("ActionExecutor drops a waiting reply whose entries a later write overwrites", () => {
    const { storage, transport, executor } = fixture();
    const node = follower();
    node.handleMessage(
      appendCall({ from: "n0", term: 1, commitIndex: 3, entries: segment(pos(1, 3), [commandEntry("b")]) }),
    );
    executor.execute(node); // The reply vouching for 1/4 waits for this append's sync.
    // A new leader of term 2 overwrites entry 4 before that sync completes.
    node.handleMessage(
      appendCall({ from: "n2", term: 2, commitIndex: 3, entries: segment(pos(1, 3), [termEntry(2)]) }),
    );
    executor.execute(node);
    storage.complete(); // The first sync: the reply it released is gone.
    executor.execute(node); // The next turn syncs the overwrite.
    storage.complete();
    expect(transport.sent).toEqual(["n2 reply 2/4"]);
    expect(transport.sent.some((line) => line.startsWith("n0"))).toBe(false);
  });

  it("ActionExecutor.flushNow() makes everything durable at once and releases what waited", () => {
    const { storage, transport, executor } = fixture();
    const node = follower();
    node.handleMessage(
      appendCall({ from: "n0", term: 1, commitIndex: 3, entries: segment(pos(1, 3), [commandEntry("b")]) }),
    );
    executor.execute(node);
    expect(transport.sent).toEqual([]);
    executor.flushNow();
    expect(transport.sent).toEqual(["n0 reply 1/4"]);
    expect(storage.hasPending).toBe(false);
  });
});
