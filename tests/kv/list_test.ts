import { describe, expect, it } from "bun:test";
import { type KvEntry, KvStateMachine, SortedKeys } from "../../src/kv/mod.ts";
import { seededRandom as prng } from "../helpers/seeded_random.ts";
import { del, put } from "./kv_helpers.ts";

function keysOf(sm: KvStateMachine, prefix: string, limit: number): string[] {
  return sm.list(prefix, limit).items.map((e) => e.key);
}

describe("KvStateMachine.list()", () => {
  it("lists keys with a prefix in ascending order, excluding neighbours", () => {
    const sm = new KvStateMachine();
    let index = 0;
    for (const k of ["b/2", "a", "b/1", "b", "b/10", "c", "b0", "a/x"]) put(sm, ++index, k, k.toUpperCase());
    expect(keysOf(sm, "b/", 100)).toEqual(["b/1", "b/10", "b/2"]);
    expect(keysOf(sm, "b", 100)).toEqual(["b", "b/1", "b/10", "b/2", "b0"]);
    expect(keysOf(sm, "", 100)).toEqual(["a", "a/x", "b", "b/1", "b/10", "b/2", "b0", "c"]);
    expect(keysOf(sm, "zz", 100)).toEqual([]);
    expect(sm.list("c", 10).items).toEqual([sm.get("c") as KvEntry]);
  });

  it("pages with a cursor: after the last key of a page, every key with the prefix comes exactly once", () => {
    const sm = new KvStateMachine();
    const keys = ["p/a", "p/b", "p/b0", "p/c", "p/d", "q", "o"];
    for (const [i, k] of keys.entries()) put(sm, i + 1, k, "v");
    const seen: string[] = [];
    let after: string | undefined;
    for (let page = 0; page < 10; page++) {
      const listing = sm.list("p/", 2, after);
      seen.push(...listing.items.map((e) => e.key));
      if (!listing.more) break;
      after = listing.items.at(-1)?.key;
    }
    expect(seen).toEqual(["p/a", "p/b", "p/b0", "p/c", "p/d"]);
    expect(sm.list("p/", 10, "p/zz").items).toEqual([]); // Past the prefix's keys.
    expect(sm.list("p/", 10, "a").items.map((e) => e.key)).toEqual(["p/a", "p/b", "p/b0", "p/c", "p/d"]); // Before it.
    expect(sm.list("p/", 10, "p/b").items.map((e) => e.key)).toEqual(["p/b0", "p/c", "p/d"]); // A key that exists is skipped.
    expect(sm.list("p/", 10, "p/bb").items.map((e) => e.key)).toEqual(["p/c", "p/d"]); // One that does not, too.
  });

  it("stops at the limit and says whether more keys matched", () => {
    const sm = new KvStateMachine();
    for (let i = 0; i < 10; i++) put(sm, i + 1, `k${i}`, "v");
    expect(sm.list("k", 3)).toEqual({ items: [0, 1, 2].map((i) => sm.get(`k${i}`) as KvEntry), more: true });
    expect(sm.list("k", 10).more).toBe(false);
    expect(sm.list("k", 11).more).toBe(false);
    expect(sm.list("k", 0)).toEqual({ items: [], more: true });
    expect(sm.list("x", 0)).toEqual({ items: [], more: false });
  });

  it("orders keys by UTF-16 code units", () => {
    const sm = new KvStateMachine();
    let index = 0;
    for (const k of ["\uffff", "🙂", "é", "Z", "a"]) put(sm, ++index, k, "v");
    // U+1F642 is stored as the surrogates D83D DE42, which sort below U+FFFF.
    expect(keysOf(sm, "", 10)).toEqual(["Z", "a", "é", "🙂", "\uffff"]);
  });

  it("reflects deletes and re-creations", () => {
    const sm = new KvStateMachine();
    put(sm, 1, "p/a", "1");
    put(sm, 2, "p/b", "1");
    del(sm, 3, "p/a");
    expect(keysOf(sm, "p/", 10)).toEqual(["p/b"]);
    put(sm, 4, "p/a", "2");
    expect(keysOf(sm, "p/", 10)).toEqual(["p/a", "p/b"]);
  });

  it("stays correct across many random inserts and deletes", () => {
    const random = prng(42);
    const sm = new KvStateMachine();
    const reference = new Set<string>();
    for (let index = 1; index <= 20_000; index++) {
      const key = `k${Math.floor(random() * 3000)
        .toString()
        .padStart(4, "0")}`;
      if (random() < 0.4) {
        del(sm, index, key);
        reference.delete(key);
      } else {
        put(sm, index, key, "v");
        reference.add(key);
      }
    }
    const expected = [...reference].sort();
    expect(keysOf(sm, "", 1_000_000)).toEqual(expected);
    expect(keysOf(sm, "k12", 1000)).toEqual(expected.filter((k) => k.startsWith("k12")));
    expect(sm.size).toBe(reference.size);
  });
});

describe("SortedKeys", () => {
  it("SortedKeys.insert() and delete() keep order and size through chunk splits and merges", () => {
    const random = prng(7);
    const set = new SortedKeys();
    const reference = new Set<string>();
    for (let step = 0; step < 50_000; step++) {
      const key = String(Math.floor(random() * 5000));
      const insert = step < 20_000 ? random() < 0.8 : random() < 0.2;
      expect(insert ? set.insert(key) : set.delete(key)).toBe(insert ? !reference.has(key) : reference.has(key));
      if (insert) reference.add(key);
      else reference.delete(key);
    }
    expect(set.toArray()).toEqual([...reference].sort());
    expect(set.size).toBe(reference.size);
  });

  it("SortedKeys.fromSorted() builds a set that scans from any start", () => {
    const keys = Array.from({ length: 3000 }, (_, i) => `k${String(i).padStart(5, "0")}`);
    const set = SortedKeys.fromSorted(keys);
    const seen: string[] = [];
    set.scan("k01500", (k) => seen.push(k) < 3);
    expect(seen).toEqual(["k01500", "k01501", "k01502"]);
    expect(set.insert("k01500")).toBe(false);
    expect(set.delete("k99999")).toBe(false);
    expect(set.size).toBe(3000);
  });
});
