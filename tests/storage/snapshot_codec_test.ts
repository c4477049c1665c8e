import { describe, expect, it } from "bun:test";
import { ClusterConfig, LogPosition, NodeId } from "../../packages/core/src/mod.ts";
import { crc32 } from "../../src/checksum/crc32.ts";
import {
  decodeSnapshotFile,
  encodeSnapshotFile,
  SNAPSHOT_FORMAT_VERSION,
  StorageError,
} from "../../src/storage/mod.ts";

const META = {
  position: LogPosition.of(7, 1234),
  config: new ClusterConfig({
    voters: [NodeId.of("n1"), NodeId.of("n2")],
    addresses: { n1: "http://a:1", n2: "http://b:2" },
  }),
};

function decodeError(bytes: Uint8Array): StorageError {
  try {
    decodeSnapshotFile(bytes, "The backup b.snap", "b.snap");
  } catch (error) {
    expect(error).toBeInstanceOf(StorageError);
    return error as StorageError;
  }
  throw new Error("decodeSnapshotFile() accepted the bytes");
}

/** `bytes` with the CRC-32 trailer recomputed (a well-formed file whose fields are wrong). */
function resealed(bytes: Uint8Array): Uint8Array {
  const copy = bytes.slice();
  new DataView(copy.buffer).setUint32(copy.length - 4, crc32(copy, 0, copy.length - 4), true);
  return copy;
}

describe("the snapshot file codec", () => {
  it("encodeSnapshotFile() then decodeSnapshotFile() round-trips position, configuration and data", () => {
    const data = new Uint8Array(5000).map((_, i) => i % 251);
    const bytes = encodeSnapshotFile(META, data);
    expect([...bytes.subarray(0, 5)]).toEqual([0x52, 0x42, 0x53, 0x4e, SNAPSHOT_FORMAT_VERSION]);
    const back = decodeSnapshotFile(bytes, "The backup b.snap");
    expect<unknown>(back.meta.position).toEqual({ term: 7, index: 1234 });
    expect(back.meta.config.equals(META.config)).toBe(true);
    expect(back.meta.config.addressOf(NodeId.of("n2"))).toBe("http://b:2");
    expect(back.data).toEqual(data);
    expect(decodeSnapshotFile(encodeSnapshotFile(META, new Uint8Array(0)), "x").data.length).toBe(0);
  });

  it("decodeSnapshotFile() refuses a torn file at every length short of the whole, naming it", () => {
    const bytes = encodeSnapshotFile(META, new Uint8Array(300).fill(9));
    for (const length of [0, 10, 39, 40, 100, bytes.length - 12, bytes.length - 1]) {
      const error = decodeError(bytes.subarray(0, length));
      expect(error.code).toBe("corrupt");
      expect(error.file).toBe("b.snap");
      expect(error.message.startsWith("The backup b.snap is corrupt at byte")).toBe(true);
      expect(error.message).toMatch(/too short|checksum does not match/);
    }
    expect(decodeError(bytes.subarray(0, bytes.length - 1)).message).toContain("incomplete or damaged");
  });

  it("decodeSnapshotFile() refuses a file that does not start with the magic, whatever its checksum", () => {
    const bytes = encodeSnapshotFile(META, new Uint8Array(10));
    const wrong = bytes.slice();
    wrong[0] = 0x7b; // "{": a JSON file, say.
    for (const candidate of [wrong, resealed(wrong), new TextEncoder().encode(`{"not":"a snapshot"}`.repeat(4))]) {
      const error = decodeError(candidate);
      expect(error.code).toBe("corrupt");
      expect(error.message).toContain("not a snapshot");
    }
  });

  it("decodeSnapshotFile() refuses a flipped bit anywhere after the magic with a checksum mismatch", () => {
    const bytes = encodeSnapshotFile(META, new Uint8Array(64).fill(3));
    for (const at of [4, 8, 20, 30, 100, bytes.length - 12, bytes.length - 2]) {
      const copy = bytes.slice();
      copy[at] ^= 0x10;
      const error = decodeError(copy);
      expect(error.code).toBe("corrupt");
      expect(error.offset).toBe(bytes.length - 4);
      expect(error.message).toContain("the checksum does not match (stored 0x");
    }
  });

  it("decodeSnapshotFile() refuses another format version and inconsistent lengths even with a valid checksum", () => {
    const bytes = encodeSnapshotFile(META, new Uint8Array(16));
    const version = bytes.slice();
    version[4] = SNAPSHOT_FORMAT_VERSION + 1;
    const error = decodeError(resealed(version));
    expect(error.code).toBe("unsupported_version");
    expect(error.message).toContain(`version ${SNAPSHOT_FORMAT_VERSION + 1}`);
    const length = bytes.slice();
    length[length.length - 12] ^= 1; // The data length.
    expect(decodeError(resealed(length)).message).toContain("the data length does not match");
    const config = bytes.slice();
    new DataView(config.buffer).setUint32(24, 1_000_000, true);
    expect(decodeError(resealed(config)).message).toContain("the configuration overruns the file");
  });
});
