/**
 * Key-value state machine benchmark: applies N puts of V-byte values, then times snapshot()
 * and restore(), the CRC-32 alone, and prefix listings. Prints figures; asserts nothing.
 *
 * Usage: bun scripts/bench_kv.ts [--keys N] [--value-bytes V] [--runs R]
 * Also runs under Deno: deno run scripts/bench_kv.ts --keys 100000
 */
import { crc32, encodeCommand, KvStateMachine } from "../src/kv/mod.ts";

function flag(name: string, fallback: number): number {
  const args = typeof Bun !== "undefined" ? Bun.argv : Deno.args;
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : fallback;
}

function time<T>(f: () => T): { result: T; ms: number } {
  const start = performance.now();
  const result = f();
  return { result, ms: performance.now() - start };
}

function fill(keys: number, valueBytes: number): KvStateMachine {
  const sm = new KvStateMachine();
  const value = "x".repeat(valueBytes);
  for (let i = 0; i < keys; i++) {
    // Keys arrive in scrambled order so the key index does real insertion work.
    const n = (i * 7919) % keys;
    const encoded = encodeCommand({ op: "put", key: `user/${n.toString(36).padStart(6, "0")}`, value });
    if (!encoded.ok) throw new Error(encoded.message);
    sm.apply(i + 1, encoded.payload);
  }
  return sm;
}

function main(): void {
  const keys = flag("keys", 100_000);
  const valueBytes = flag("value-bytes", 100);
  const runs = flag("runs", 5);
  const runtime = typeof Bun !== "undefined" ? `bun ${Bun.version}` : `deno ${Deno.version.deno}`;
  console.log(`bench_kv: ${keys} keys, ${valueBytes}-byte values, ${runs} runs, ${runtime}`);
  const filled = time(() => fill(keys, valueBytes));
  console.log(`apply (encode+decode+apply): ${((filled.ms * 1000) / keys).toFixed(2)} µs/put`);
  for (let run = 1; run <= runs; run++) {
    const snap = time(() => filled.result.snapshot());
    const check = time(() => crc32(snap.result));
    const restored = time(() => KvStateMachine.restore(snap.result));
    if (!(restored.result instanceof KvStateMachine)) throw new Error(restored.result.error);
    const list = time(() => restored.result instanceof KvStateMachine && restored.result.list("user/00", 100));
    const mib = (snap.result.length / 1024 / 1024).toFixed(1);
    console.log(
      `run ${run}: snapshot ${mib} MiB in ${snap.ms.toFixed(1)} ms (crc32 ${check.ms.toFixed(1)} ms), ` +
        `restore ${restored.ms.toFixed(1)} ms, list 100 ${(list.ms * 1000).toFixed(0)} µs`,
    );
  }
}

main();
