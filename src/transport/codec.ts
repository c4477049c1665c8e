/**
 * The peer protocol codec: core messages and snapshot chunks to JSON frames and back (and, for
 * AppendEntriesCalls with entries, to the binary frames of `binary_append.ts`). Decoding
 * never throws: a frame that is not valid JSON, too large, of another protocol version or not
 * accepted by the schema yields a {@link PeerError} to send back in an Error frame.
 */
import { Buffer } from "node:buffer";
import {
  ClusterConfig,
  Generation,
  LogEntries,
  LogEntry,
  LogIndex,
  LogPosition,
  type Message,
  NodeId,
  Term,
} from "../../packages/core/src/mod.ts";
import {
  type AppendEntriesCallFrame,
  type EntryItem,
  type ErrorFrame,
  type ForwardReplyFrame,
  type ForwardRequestFrame,
  type LogEntriesFrame,
  type MessageFrame,
  PEER_PROTOCOL_VERSION,
  type PeerFrame,
  PeerFrameSchema,
  type SnapshotChunkFrame,
} from "../../schemas/peer_frame.ts";
import { encodeBinaryAppend } from "./binary_append.ts";
import type { PeerError, PeerErrorCode, WireFrame } from "./peer_error.ts";

export type { PeerError, PeerErrorCode, WireFrame } from "./peer_error.ts";

/** The largest frame accepted by default (8 MiB of UTF-8). */
export const DEFAULT_MAX_FRAME_BYTES = 8 * 1024 * 1024;

/** The outcome of {@link decodeFrame}. */
export type DecodeResult =
  | { readonly ok: true; readonly frame: PeerFrame }
  | { readonly ok: false; readonly error: PeerError };

/** One decoded piece of a snapshot in transfer (see `snapshot_stream.ts`). */
export interface SnapshotChunk {
  /** The sending node. */
  readonly from: NodeId;
  /** Names the transfer; every chunk of one transfer carries the same id. */
  readonly snapshotId: string;
  /** The last log position the snapshot covers. */
  readonly position: LogPosition;
  /** The configuration at `position`. */
  readonly config: ClusterConfig;
  /** Where `data` starts in the snapshot. */
  readonly offset: number;
  /** The size of the whole snapshot. */
  readonly totalBytes: number;
  /** The bytes at `offset`. */
  readonly data: Uint8Array;
  /** True for the final chunk of the transfer. */
  readonly last: boolean;
  /** The CRC-32 of the whole snapshot; present on the last chunk. */
  readonly crc32?: number;
}

/** Encodes a core message as one JSON frame. */
export function encodeMessage(message: Message): string {
  return JSON.stringify(messageToFrame(message));
}

/**
 * Encodes a core message as it goes on the wire: an AppendEntriesCall with entries as a binary
 * frame (see `binary_append.ts`), every other message as JSON.
 */
export function encodeWire(message: Message): WireFrame {
  if (message.type === "AppendEntriesCall" && message.entries.length > 0) return encodeBinaryAppend(message);
  return encodeMessage(message);
}

/** Encodes a snapshot chunk as one JSON frame. */
export function encodeSnapshotChunk(chunk: SnapshotChunk): string {
  return JSON.stringify(snapshotChunkToFrame(chunk));
}

/** Encodes an Error frame. */
export function encodeError(error: PeerError): string {
  const frame: ErrorFrame = { v: PEER_PROTOCOL_VERSION, type: "Error", code: error.code, message: error.message };
  return JSON.stringify(frame);
}

/**
 * Parses and validates one frame; never throws. `maxBytes` bounds the frame's UTF-8 size
 * (default {@link DEFAULT_MAX_FRAME_BYTES}).
 */
export function decodeFrame(text: string, maxBytes = DEFAULT_MAX_FRAME_BYTES): DecodeResult {
  const size = text.length * 3 <= maxBytes ? text.length : Buffer.byteLength(text, "utf8");
  if (size > maxBytes) {
    return refuse("frame_too_large", `Cannot accept frame: ${size} bytes exceed the limit of ${maxBytes}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    return refuse("invalid_json", `Cannot parse frame as JSON: ${(e as Error).message}`);
  }
  if (typeof json === "object" && json !== null && "v" in json && json.v !== PEER_PROTOCOL_VERSION) {
    const got = JSON.stringify(json.v)?.slice(0, 32);
    return refuse(
      "unsupported_version",
      `Cannot accept frame: protocol version ${got} is not supported (this node speaks ${PEER_PROTOCOL_VERSION})`,
    );
  }
  const parsed = PeerFrameSchema.safeParse(json);
  if (!parsed.success) return refuse("invalid_frame", `Cannot accept frame: ${describeIssues(parsed.error.issues)}`);
  return { ok: true, frame: parsed.data };
}

const MESSAGE_TYPES: ReadonlySet<PeerFrame["type"]> = new Set<MessageFrame["type"]>([
  "RequestVoteCall",
  "RequestVoteReply",
  "AppendEntriesCall",
  "AppendEntriesReply",
  "TimeoutNow",
]);

/** True iff `frame` carries a Raft message (not a snapshot chunk, an error or a forwarded request). */
export function isMessageFrame(frame: PeerFrame): frame is MessageFrame {
  return MESSAGE_TYPES.has(frame.type);
}

/** True iff `frame` is a request a follower forwards to its leader (a write or a read-index request). */
export function isForwardRequest(frame: PeerFrame): frame is ForwardRequestFrame {
  return frame.type === "ForwardProposal" || frame.type === "ReadIndexRequest";
}

/** True iff `frame` is the leader's answer to a forwarded request. */
export function isForwardReply(frame: PeerFrame): frame is ForwardReplyFrame {
  return frame.type === "ForwardProposalReply" || frame.type === "ReadIndexReply";
}

/** Encodes a forwarded request or its answer (built by the caller, `v` included) as one JSON frame. */
export function encodeForwardFrame(frame: ForwardRequestFrame | ForwardReplyFrame): string {
  return JSON.stringify(frame);
}

/** The wire form of a core message. */
export function messageToFrame(message: Message): MessageFrame {
  const v = PEER_PROTOCOL_VERSION;
  switch (message.type) {
    case "RequestVoteCall":
      return { v, ...message, lastPosition: positionToFrame(message.lastPosition) };
    case "RequestVoteReply":
      return { v, ...message };
    case "AppendEntriesCall":
      return { v, ...message, entries: entriesToFrame(message.entries) };
    case "AppendEntriesReply":
      return { v, ...message, lastPosition: positionToFrame(message.lastPosition) };
    case "TimeoutNow":
      return { v, ...message };
  }
}

/** The core message of a validated message frame, branded with the core's constructors. */
export function frameToMessage(frame: MessageFrame): Message {
  const from = NodeId.of(frame.from);
  const term = Term.of(frame.term);
  switch (frame.type) {
    case "RequestVoteCall": {
      const call = { type: frame.type, from, term, lastPosition: positionFromFrame(frame.lastPosition) };
      return {
        ...call,
        ...(frame.preVote === true ? { preVote: true } : {}),
        ...(frame.transfer === true ? { transfer: true } : {}),
      };
    }
    case "RequestVoteReply": {
      const reply = { type: frame.type, from, term, voteGranted: frame.voteGranted };
      return frame.preVote === true ? { ...reply, preVote: true } : reply;
    }
    case "TimeoutNow":
      return { type: frame.type, from, term };
    case "AppendEntriesCall":
      return appendCallFromFrame(frame);
    case "AppendEntriesReply": {
      const reply = {
        type: frame.type,
        from,
        term,
        generation: Generation.of(frame.generation),
        lastPosition: positionFromFrame(frame.lastPosition),
        rejected: frame.rejected,
        seq: frame.seq,
      };
      return frame.refused === true ? { ...reply, refused: true } : reply;
    }
  }
}

/** The wire form of a snapshot chunk. */
export function snapshotChunkToFrame(chunk: SnapshotChunk): SnapshotChunkFrame {
  const frame: SnapshotChunkFrame = {
    v: PEER_PROTOCOL_VERSION,
    type: "SnapshotChunk",
    from: chunk.from,
    snapshotId: chunk.snapshotId,
    position: positionToFrame(chunk.position),
    config: configToFrame(chunk.config),
    offset: chunk.offset,
    totalBytes: chunk.totalBytes,
    data: toBase64(chunk.data),
    last: chunk.last,
  };
  return chunk.crc32 === undefined ? frame : { ...frame, crc32: chunk.crc32 };
}

/** The snapshot chunk of a validated SnapshotChunk frame. */
export function frameToSnapshotChunk(frame: SnapshotChunkFrame): SnapshotChunk {
  const chunk: SnapshotChunk = {
    from: NodeId.of(frame.from),
    snapshotId: frame.snapshotId,
    position: positionFromFrame(frame.position),
    config: configFromFrame(frame.config),
    offset: frame.offset,
    totalBytes: frame.totalBytes,
    data: fromBase64(frame.data),
    last: frame.last,
  };
  return frame.crc32 === undefined ? chunk : { ...chunk, crc32: frame.crc32 };
}

function appendCallFromFrame(frame: AppendEntriesCallFrame): Message {
  return {
    type: frame.type,
    from: NodeId.of(frame.from),
    term: Term.of(frame.term),
    commitIndex: LogIndex.of(frame.commitIndex),
    entries: entriesFromFrame(frame.entries),
    seq: frame.seq,
  };
}

function entriesToFrame(entries: LogEntries): LogEntriesFrame {
  return { prev: positionToFrame(entries.prevPosition), items: Array.from(entries.entries(), entryToItem) };
}

function entriesFromFrame(frame: LogEntriesFrame): LogEntries {
  const segment = new LogEntries(positionFromFrame(frame.prev));
  for (const item of frame.items) segment.push(itemToEntry(item));
  return segment;
}

function entryToItem(entry: LogEntry): EntryItem {
  switch (entry.kind) {
    case "term":
      return { kind: "term", term: entry.term };
    case "config":
      return { kind: "config", ...configToFrame(entry.config) };
    case "command":
      return typeof entry.data === "string"
        ? { kind: "command", data: entry.data }
        : { kind: "command", b64: toBase64(entry.data) };
  }
}

function itemToEntry(item: EntryItem): LogEntry {
  switch (item.kind) {
    case "term":
      return LogEntry.term(Term.of(item.term));
    case "config":
      return LogEntry.config(configFromFrame(item));
    case "command":
      return LogEntry.command(item.data ?? fromBase64(item.b64 ?? ""));
  }
}

function positionToFrame(position: LogPosition): { term: number; index: number } {
  return { term: position.term, index: position.index };
}

function positionFromFrame(position: { term: number; index: number }): LogPosition {
  return LogPosition.of(position.term, position.index);
}

type ConfigFrame = { voters: string[]; newVoters: string[]; nonVoters: string[]; addresses: Record<string, string> };

function configToFrame(config: ClusterConfig): ConfigFrame {
  return config.toJSON();
}

function configFromFrame(frame: ConfigFrame): ClusterConfig {
  return new ClusterConfig({
    voters: frame.voters.map(NodeId.of),
    newVoters: frame.newVoters.map(NodeId.of),
    nonVoters: frame.nonVoters.map(NodeId.of),
    addresses: frame.addresses,
  });
}

function toBase64(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("base64");
}

/** Decodes validated base64 into a plain Uint8Array (a copy, not a view of a pooled Buffer). */
function fromBase64(text: string): Uint8Array {
  return new Uint8Array(Buffer.from(text, "base64"));
}

function refuse(code: PeerErrorCode, message: string): DecodeResult {
  return { ok: false, error: { code, message: message.slice(0, 1000) } };
}

function describeIssues(issues: ReadonlyArray<{ path: PropertyKey[]; message: string }>): string {
  const shown = issues.slice(0, 3).map((i) => `${i.path.map(String).join(".") || "(frame)"}: ${i.message}`);
  const more = issues.length > 3 ? ` (and ${issues.length - 3} more)` : "";
  return `${shown.join("; ")}${more}`;
}
