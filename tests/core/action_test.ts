import { describe, expect, it } from "bun:test";
import { type Action, Actions, type AppendEntriesCall } from "../../packages/core/src/mod.ts";
import {
  appendCall,
  appendReply,
  commandEntry,
  expectSameEntries,
  id,
  plainAction,
  pos,
  segment,
  termEntry,
  voteCall,
  voteReply,
} from "../helpers/core_harness.ts";

const X = commandEntry;

/** The types (and destinations) of the drained actions, in order. */
function drainedShape(actions: Actions): string[] {
  return [...actions].map((a) =>
    a.type === "SendMessage" || a.type === "InstallSnapshot" ? `${a.type}:${a.destination}` : a.type,
  );
}

describe("Actions", () => {
  it("Actions starts empty, and next() returns undefined", () => {
    const actions = new Actions();
    expect(actions.isEmpty).toBe(true);
    expect(actions.next()).toBeUndefined();
    expect([...actions]).toEqual([]);
  });

  it("Actions.take() returns every pending action at once, in drain order, and leaves nothing pending", () => {
    const actions = new Actions();
    actions.setElectionTimeout = true;
    actions.saveVotedFor = true;
    actions.addAppend(segment(pos(1, 1), [X("a")]));
    actions.addSend(id("n3"), voteReply("n1", 1, true));
    actions.addSend(id("n2"), voteReply("n1", 1, false));
    actions.installSnapshots.add(id("n9"));
    actions.installSnapshots.add(id("n4"));
    const batch = actions.take();
    expect(actions.isEmpty).toBe(true);
    expect(actions.take()).toEqual({
      setElectionTimeout: false,
      saveCurrentTerm: false,
      saveVotedFor: false,
      broadcastMessage: null,
      broadcastExcept: [],
      appendLogEntries: null,
      sendMessages: [],
      installSnapshots: [],
    });
    expect([batch.setElectionTimeout, batch.saveCurrentTerm, batch.saveVotedFor]).toEqual([true, false, true]);
    expect(batch.broadcastMessage).toBeNull();
    expectSameEntries(batch.appendLogEntries ?? segment(pos(0, 0), []), segment(pos(1, 1), [X("a")]));
    expect(batch.sendMessages.map(([to]) => to)).toEqual([id("n2"), id("n3")]);
    expect(batch.installSnapshots).toEqual([id("n4"), id("n9")]);
  });

  it("Actions flags coalesce: each one set twice drains once (raftbare action::tests::actions_set)", () => {
    const actions = new Actions();
    for (let i = 0; i < 2; i++) {
      actions.setElectionTimeout = true;
      actions.saveCurrentTerm = true;
      actions.saveVotedFor = true;
    }
    expect(drainedShape(actions)).toEqual(["SetElectionTimeout", "SaveCurrentTerm", "SaveVotedFor"]);
    expect(actions.isEmpty).toBe(true);
  });

  it("Actions.addAppend() concatenates a chained segment into the pending one", () => {
    const actions = new Actions();
    actions.addAppend(segment(pos(2, 3), [X("a")]));
    actions.addAppend(segment(pos(2, 4), [X("b")]));
    const drained = [...actions];
    expect(drained).toHaveLength(1);
    const only = drained[0] as Action & { type: "AppendLogEntries" };
    expect(only.type).toBe("AppendLogEntries");
    expectSameEntries(only.entries, segment(pos(2, 3), [X("a"), X("b")]));
  });

  it("Actions.addAppend() truncates the pending segment back to the new prev position, then appends", () => {
    const actions = new Actions();
    actions.addAppend(segment(pos(2, 3), [X(), X(), X()]));
    actions.addAppend(segment(pos(2, 4), [termEntry(3)]));
    expectSameEntries(actions.appendLogEntries as never, segment(pos(2, 3), [X(), termEntry(3)]));
  });

  it("Actions.addAppend() replaces the pending segment with one that starts earlier", () => {
    const actions = new Actions();
    actions.addAppend(segment(pos(2, 5), [X(), X()]));
    actions.addAppend(segment(pos(1, 2), [termEntry(2)]));
    expectSameEntries(actions.appendLogEntries as never, segment(pos(1, 2), [termEntry(2)]));
  });

  it("Actions.addBroadcast() lets a later AppendEntriesCall replace a pending RequestVoteCall", () => {
    const actions = new Actions();
    actions.addBroadcast(voteCall("n0", 3, pos(2, 5)));
    const call = appendCall({ from: "n0", term: 3, commitIndex: 5, entries: segment(pos(3, 6), []), seq: 1 });
    actions.addBroadcast(call);
    expect(actions.broadcastMessage).toBe(call);
    expect(drainedShape(actions)).toEqual(["BroadcastMessage"]);
  });

  it("Actions.addBroadcast() concatenates chained AppendEntriesCalls", () => {
    const actions = new Actions();
    actions.addBroadcast(appendCall({ from: "n0", term: 3, commitIndex: 1, entries: segment(pos(3, 6), [X()]) }));
    actions.addBroadcast(appendCall({ from: "n0", term: 3, commitIndex: 2, entries: segment(pos(3, 7), [X()]) }));
    const merged = actions.broadcastMessage as AppendEntriesCall;
    expect<number>(merged.commitIndex).toBe(2);
    expectSameEntries(merged.entries, segment(pos(3, 6), [X(), X()]));
  });

  it("Actions drains SendMessage in ascending destination order, merging per destination", () => {
    const actions = new Actions();
    actions.addSend(id("n4"), voteReply("n0", 2, true));
    actions.addSend(id("n2"), appendReply({ from: "n0", term: 2, lastPosition: pos(2, 1), rejected: true }));
    actions.addSend(id("n3"), voteReply("n0", 2, false));
    const final = appendReply({ from: "n0", term: 2, lastPosition: pos(2, 4), rejected: false });
    actions.addSend(id("n2"), final);
    const drained = [...actions];
    expect<unknown>(drained.map((a) => (a.type === "SendMessage" ? a.destination : a.type))).toEqual([
      "n2",
      "n3",
      "n4",
    ]);
    expect(plainAction(drained[0])).toEqual(
      plainAction({ type: "SendMessage", destination: id("n2"), message: final }),
    );
  });

  it("Actions drains InstallSnapshot once per destination, in ascending order", () => {
    const actions = new Actions();
    for (const n of ["n3", "n2", "n3"]) actions.installSnapshots.add(id(n));
    expect(drainedShape(actions)).toEqual(["InstallSnapshot:n2", "InstallSnapshot:n3"]);
  });

  it("Actions drains in the fixed priority order, broadcast before append", () => {
    const actions = new Actions();
    actions.installSnapshots.add(id("n1"));
    actions.addSend(id("n2"), voteReply("n0", 2, true));
    actions.addSend(id("n1"), voteReply("n0", 2, true));
    actions.addAppend(segment(pos(2, 3), [X()]));
    actions.addBroadcast(voteCall("n0", 2, pos(2, 3)));
    actions.saveVotedFor = true;
    actions.saveCurrentTerm = true;
    actions.setElectionTimeout = true;
    expect(drainedShape(actions)).toEqual([
      "SetElectionTimeout",
      "SaveCurrentTerm",
      "SaveVotedFor",
      "BroadcastMessage",
      "AppendLogEntries",
      "SendMessage:n1",
      "SendMessage:n2",
      "InstallSnapshot:n1",
    ]);
    expect(actions.isEmpty).toBe(true);
  });

  it("Actions.isEmpty sees every kind of pending action", () => {
    const setters: Array<(a: Actions) => void> = [
      (a) => {
        a.setElectionTimeout = true;
      },
      (a) => {
        a.saveCurrentTerm = true;
      },
      (a) => {
        a.saveVotedFor = true;
      },
      (a) => a.addBroadcast(voteCall("n0", 1, pos(0, 0))),
      (a) => a.addAppend(segment(pos(0, 0), [X()])),
      (a) => a.addSend(id("n1"), voteReply("n0", 1, true)),
      (a) => a.installSnapshots.add(id("n1")),
    ];
    for (const set of setters) {
      const actions = new Actions();
      set(actions);
      expect(actions.isEmpty).toBe(false);
      expect(actions.next()).toBeDefined();
      expect(actions.isEmpty).toBe(true);
    }
  });

  it("Actions iteration drains: what was yielded is gone, what was not stays pending", () => {
    const actions = new Actions();
    actions.setElectionTimeout = true;
    actions.saveCurrentTerm = true;
    for (const action of actions) {
      expect(action.type).toBe("SetElectionTimeout");
      break;
    }
    expect(actions.isEmpty).toBe(false);
    expect(drainedShape(actions)).toEqual(["SaveCurrentTerm"]);
    expect(drainedShape(actions)).toEqual([]);
  });

  it("Actions drains a lone send like any other: it merges, orders among later sends, and shows in sendMessages", () => {
    const actions = new Actions();
    actions.addSend(id("n2"), voteReply("n0", 1, false));
    expect(actions.isEmpty).toBe(false);
    actions.addSend(id("n2"), voteReply("n0", 2, true)); // The newer one wins.
    actions.addSend(id("n1"), voteReply("n0", 2, false));
    expect(drainedShape(actions)).toEqual(["SendMessage:n1", "SendMessage:n2"]);
    actions.addSend(id("n3"), voteReply("n0", 3, true));
    expect(actions.sendMessages.get(id("n3"))).toEqual(voteReply("n0", 3, true));
    actions.sendMessages.delete(id("n3"));
    expect(actions.isEmpty).toBe(true);
    expect(actions.next()).toBeUndefined();
    actions.addSend(id("n3"), voteReply("n0", 4, true));
    actions.addSend(id("n3"), voteReply("n0", 5, true));
    const batch = actions.take();
    expect(batch.sendMessages.map(([to, m]) => `${to}:${m.term}`)).toEqual(["n3:5"]);
    expect(actions.isEmpty).toBe(true);
    actions.addSend(id("n2"), voteReply("n0", 6, true));
    expect(actions.next()).toEqual({ type: "SendMessage", destination: id("n2"), message: voteReply("n0", 6, true) });
    expect(actions.isEmpty).toBe(true);
  });

  it("Actions fields are public: a runtime may take the messages directly", () => {
    const actions = new Actions();
    actions.addSend(id("n1"), voteReply("n0", 1, true));
    const taken = new Map(actions.sendMessages);
    actions.sendMessages.clear();
    expect(taken.size).toBe(1);
    expect(actions.isEmpty).toBe(true);
  });
});
