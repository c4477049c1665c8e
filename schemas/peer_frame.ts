/**
 * The peer protocol: every WebSocket frame between two nodes is one JSON object checked by
 * {@link PeerFrameSchema}, except an AppendEntriesCall with entries, which travels as a binary
 * frame whose JSON header {@link AppendEntriesHeaderSchema} checks (src/transport/binary_append.ts).
 * Frames carry the protocol version `v`, and a `type` that names a Raft message, a snapshot chunk,
 * an error, or a request a follower forwards to its leader (a write, a read-index request) and the
 * leader's answer. Command payloads stay opaque: a string travels as `data`,
 * bytes travel as base64 in `b64`, and nothing looks inside either.
 */
import { z } from "zod";
import { Term } from "../packages/core/src/ids.ts";
import { ApiErrorCodeSchema } from "./api_errors.ts";
import { DeleteCommandSchema, KvKeySchema, KvValueSchema, PutCommandSchema } from "./kv_command.ts";

/** The protocol version every frame carries in `v`. */
export const PEER_PROTOCOL_VERSION = 1;

/** The path of the peer endpoint (node-to-node WebSocket links, guarded by the cluster token). */
export const PEER_PATH = "/v1/raft";
/** Longest node id, in characters. */
export const MAX_NODE_ID_LENGTH = 64;
/** Longest snapshot id, in characters. */
export const MAX_SNAPSHOT_ID_LENGTH = 128;
/** Longest error code in an Error frame, in characters. */
export const MAX_ERROR_CODE_LENGTH = 64;
/** Longest error message in an Error frame, in characters. */
export const MAX_ERROR_MESSAGE_LENGTH = 1024;

const ID_PATTERN = /^[A-Za-z0-9._-]+$/;

/** A node id: 1 to 64 characters from [A-Za-z0-9._-]. */
export const NodeIdSchema = z
  .string()
  .min(1)
  .max(MAX_NODE_ID_LENGTH)
  .regex(ID_PATTERN, "a node id may only hold letters, digits, '.', '_' and '-'");

/** An index, generation, sequence number or byte count: a non-negative safe integer. */
export const CountSchema = z.int().min(0).max(Number.MAX_SAFE_INTEGER);

/** A term: a non-negative integer up to the highest term a node may hold (the core's `Term.MAX`). */
export const TermSchema = z.int().min(0).max(Term.MAX);

/** A log position `{ term, index }`. */
export const LogPositionSchema = z.object({ term: TermSchema, index: CountSchema });

/** Longest member address (a URL) carried in a configuration. */
export const MAX_ADDRESS_LENGTH = 2048;

/**
 * A cluster configuration as three lists of node ids, and the members' addresses (their base
 * URLs) by id. Frames of nodes that carried no addresses are read as carrying none.
 */
export const ClusterConfigSchema = z.object({
  voters: z.array(NodeIdSchema),
  newVoters: z.array(NodeIdSchema),
  nonVoters: z.array(NodeIdSchema),
  addresses: z.record(NodeIdSchema, z.string().max(MAX_ADDRESS_LENGTH)).default({}),
});

/** A `term` entry: the no-op a new leader appends; it sets the term of the entries after it. */
export const TermItemSchema = z.object({ kind: z.literal("term"), term: TermSchema });

/** A `config` entry: a membership configuration. */
export const ConfigItemSchema = z.object({ kind: z.literal("config"), ...ClusterConfigSchema.shape });

/** A `command` entry: exactly one of `data` (a string payload) or `b64` (a byte payload, base64). */
export const CommandItemSchema = z
  .object({ kind: z.literal("command"), data: z.string().optional(), b64: z.base64().optional() })
  .refine((item) => (item.data === undefined) !== (item.b64 === undefined), {
    message: "a command entry carries exactly one of 'data' (string) or 'b64' (base64 bytes)",
  });

/** One log entry on the wire. */
export const EntryItemSchema = z.discriminatedUnion("kind", [TermItemSchema, ConfigItemSchema, CommandItemSchema]);

/**
 * A contiguous log segment: the position before its first entry and the entries. Term entries
 * never lower the term (they start at or above `prev.term` and never decrease), because the
 * receiving log could not hold such a segment.
 */
export const LogEntriesSchema = z
  .object({ prev: LogPositionSchema, items: z.array(EntryItemSchema) })
  .superRefine((segment, ctx) => {
    if (!Number.isSafeInteger(segment.prev.index + segment.items.length)) {
      ctx.addIssue({ code: "custom", path: ["items"], message: "the last index of the segment is not a safe integer" });
    }
    let term = segment.prev.term;
    segment.items.forEach((item, k) => {
      if (item.kind !== "term") return;
      if (item.term < term) {
        const message = `a term entry may not lower the term (${item.term} < ${term})`;
        ctx.addIssue({ code: "custom", path: ["items", k, "term"], message });
      }
      term = Math.max(term, item.term);
    });
  });

const v = z.literal(PEER_PROTOCOL_VERSION);

/** A candidate asks for a vote. */
export const RequestVoteCallFrameSchema = z.object({
  v,
  type: z.literal("RequestVoteCall"),
  from: NodeIdSchema,
  term: TermSchema,
  lastPosition: LogPositionSchema,
  preVote: z.boolean().optional(),
  transfer: z.boolean().optional(),
});

/** A voter grants (or, for a newer term, refuses) a vote. */
export const RequestVoteReplyFrameSchema = z.object({
  v,
  type: z.literal("RequestVoteReply"),
  from: NodeIdSchema,
  term: TermSchema,
  voteGranted: z.boolean(),
  preVote: z.boolean().optional(),
});

/** A leader hands leadership to the receiver: it campaigns at once. */
export const TimeoutNowFrameSchema = z.object({
  v,
  type: z.literal("TimeoutNow"),
  from: NodeIdSchema,
  term: TermSchema,
});

/** The leader replicates entries, or sends a heartbeat when `entries.items` is empty. */
export const AppendEntriesCallFrameSchema = z.object({
  v,
  type: z.literal("AppendEntriesCall"),
  from: NodeIdSchema,
  term: TermSchema,
  commitIndex: CountSchema,
  entries: LogEntriesSchema,
  seq: CountSchema,
});

/**
 * The header of a binary AppendEntriesCall frame (src/transport/binary_append.ts): the call's
 * fields, the position before its entries and how many entries follow the header.
 */
export const AppendEntriesHeaderSchema = z.object({
  v,
  type: z.literal("AppendEntriesCall"),
  from: NodeIdSchema,
  term: TermSchema,
  commitIndex: CountSchema,
  seq: CountSchema,
  prev: LogPositionSchema,
  count: CountSchema,
});

/** A follower reports its log position after an AppendEntriesCall. */
export const AppendEntriesReplyFrameSchema = z.object({
  v,
  type: z.literal("AppendEntriesReply"),
  from: NodeIdSchema,
  term: TermSchema,
  generation: CountSchema,
  lastPosition: LogPositionSchema,
  rejected: z.boolean(),
  refused: z.boolean().optional(),
  seq: CountSchema,
});

/**
 * One piece of a snapshot being installed on a follower. Chunks of one transfer share
 * `snapshotId`, `position`, `config` and `totalBytes`, and arrive in order of `offset`; the last
 * one has `last: true` and the CRC-32 of the whole snapshot.
 */
export const SnapshotChunkFrameSchema = z
  .object({
    v,
    type: z.literal("SnapshotChunk"),
    from: NodeIdSchema,
    snapshotId: z.string().min(1).max(MAX_SNAPSHOT_ID_LENGTH).regex(ID_PATTERN),
    position: LogPositionSchema,
    config: ClusterConfigSchema,
    offset: CountSchema,
    totalBytes: CountSchema,
    data: z.base64(),
    last: z.boolean(),
    crc32: z.int().min(0).max(0xffffffff).optional(),
  })
  .refine((chunk) => !chunk.last || chunk.crc32 !== undefined, {
    path: ["crc32"],
    message: "the last chunk carries the CRC-32 of the whole snapshot",
  });

/** Tells the other side that one of its frames was refused, and why. Never answered. */
export const ErrorFrameSchema = z.object({
  v,
  type: z.literal("Error"),
  code: z.string().min(1).max(MAX_ERROR_CODE_LENGTH),
  message: z.string().max(MAX_ERROR_MESSAGE_LENGTH),
});

/** Longest message of an error answered to a forwarded request, in characters. */
export const MAX_FORWARD_MESSAGE_LENGTH = 2048;
/** Most keys in the `details` of an error answered to a forwarded request. */
export const MAX_FORWARD_DETAIL_KEYS = 16;

/** A key-value entry in the answer to a forwarded write (the entry before it, or the current one). */
export const KvEntryWireSchema = z.object({
  key: KvKeySchema,
  value: KvValueSchema,
  revision: CountSchema,
  createRevision: CountSchema,
  version: CountSchema,
});

/** A leader the answer names, as the HTTP API shows members. */
const MemberWireSchema = z.object({ id: NodeIdSchema, url: z.string().max(MAX_ADDRESS_LENGTH) });

/**
 * A failed call as the leader's service answered it: what its own HTTP handler turns into the
 * error envelope (code, message, whether it is definite, the leader, details, replay mark).
 */
export const ServiceErrorWireSchema = z.object({
  ok: z.literal(false),
  code: ApiErrorCodeSchema,
  message: z.string().max(MAX_FORWARD_MESSAGE_LENGTH),
  definite: z.boolean().optional(),
  leader: MemberWireSchema.nullable().optional(),
  details: z
    .record(z.string().max(64), z.json())
    .refine((d) => Object.keys(d).length <= MAX_FORWARD_DETAIL_KEYS, { message: "too many details" })
    .optional(),
  replayed: z.boolean().optional(),
});

/** A forwarded write's command: a put or a delete, always with an idempotency key. */
export const ForwardedCommandSchema = z
  .discriminatedUnion("op", [PutCommandSchema, DeleteCommandSchema])
  .refine((command) => command.idempotencyKey !== undefined, {
    path: ["idempotencyKey"],
    message: "a forwarded write carries an idempotency key, so that a leader that gets it twice replays it",
  });

/** Most writes one ForwardProposal frame carries. */
export const MAX_FORWARD_BATCH = 1024;

/** One forwarded write: its request id on the connection, and its command. */
export const ForwardedProposalSchema = z.object({ id: CountSchema, command: ForwardedCommandSchema });

/**
 * A follower hands clients' key-value writes to the leader on its link (instead of a second HTTP
 * request each): the writes of one turn travel together. Each `id` names a request on this
 * connection; the leader answers each with a ForwardProposalReply of that `id` on the same connection.
 */
export const ForwardProposalFrameSchema = z.object({
  v,
  type: z.literal("ForwardProposal"),
  from: NodeIdSchema,
  proposals: z.array(ForwardedProposalSchema).min(1).max(MAX_FORWARD_BATCH),
});

/** The leader's answer to a ForwardProposal: the write's result, or the error its own handler would answer. */
export const ForwardProposalReplyFrameSchema = z.object({
  v,
  type: z.literal("ForwardProposalReply"),
  from: NodeIdSchema,
  id: CountSchema,
  result: z.discriminatedUnion("ok", [
    z.object({
      ok: z.literal(true),
      index: CountSchema,
      revision: CountSchema,
      prev: KvEntryWireSchema.nullable(),
      replayed: z.boolean(),
    }),
    ServiceErrorWireSchema,
  ]),
});

/**
 * A follower asks the leader for a read index (Raft thesis §6.4): the leader confirms its
 * leadership with a quorum and answers its commit index as of then; the follower serves its
 * linearizable reads once it has applied that index. One request serves a batch of reads.
 */
export const ReadIndexRequestFrameSchema = z.object({
  v,
  type: z.literal("ReadIndexRequest"),
  from: NodeIdSchema,
  id: CountSchema,
});

/** The leader's answer to a ReadIndexRequest: the read index, or why it cannot give one. */
export const ReadIndexReplyFrameSchema = z.object({
  v,
  type: z.literal("ReadIndexReply"),
  from: NodeIdSchema,
  id: CountSchema,
  result: z.discriminatedUnion("ok", [z.object({ ok: z.literal(true), index: CountSchema }), ServiceErrorWireSchema]),
});

/** The Raft message frames. */
export const MessageFrameSchema = z.discriminatedUnion("type", [
  RequestVoteCallFrameSchema,
  RequestVoteReplyFrameSchema,
  AppendEntriesCallFrameSchema,
  AppendEntriesReplyFrameSchema,
  TimeoutNowFrameSchema,
]);

/** Every frame of the peer protocol. */
export const PeerFrameSchema = z.discriminatedUnion("type", [
  RequestVoteCallFrameSchema,
  RequestVoteReplyFrameSchema,
  AppendEntriesCallFrameSchema,
  AppendEntriesReplyFrameSchema,
  TimeoutNowFrameSchema,
  SnapshotChunkFrameSchema,
  ErrorFrameSchema,
  ForwardProposalFrameSchema,
  ForwardProposalReplyFrameSchema,
  ReadIndexRequestFrameSchema,
  ReadIndexReplyFrameSchema,
]);

/** A log entry on the wire. */
export type EntryItem = z.infer<typeof EntryItemSchema>;
/** A log segment on the wire. */
export type LogEntriesFrame = z.infer<typeof LogEntriesSchema>;
/** A RequestVoteCall on the wire. */
export type RequestVoteCallFrame = z.infer<typeof RequestVoteCallFrameSchema>;
/** A RequestVoteReply on the wire. */
export type RequestVoteReplyFrame = z.infer<typeof RequestVoteReplyFrameSchema>;
/** An AppendEntriesCall on the wire. */
export type AppendEntriesCallFrame = z.infer<typeof AppendEntriesCallFrameSchema>;
/** An AppendEntriesReply on the wire. */
export type AppendEntriesReplyFrame = z.infer<typeof AppendEntriesReplyFrameSchema>;
/** A TimeoutNow on the wire. */
export type TimeoutNowFrame = z.infer<typeof TimeoutNowFrameSchema>;
/** A snapshot chunk on the wire. */
export type SnapshotChunkFrame = z.infer<typeof SnapshotChunkFrameSchema>;
/** An Error frame. */
export type ErrorFrame = z.infer<typeof ErrorFrameSchema>;
/** A forwarded write on the wire. */
export type ForwardProposalFrame = z.infer<typeof ForwardProposalFrameSchema>;
/** The answer to a forwarded write on the wire. */
export type ForwardProposalReplyFrame = z.infer<typeof ForwardProposalReplyFrameSchema>;
/** A read-index request on the wire. */
export type ReadIndexRequestFrame = z.infer<typeof ReadIndexRequestFrameSchema>;
/** The answer to a read-index request on the wire. */
export type ReadIndexReplyFrame = z.infer<typeof ReadIndexReplyFrameSchema>;
/** A request a follower sends its leader on the link. */
export type ForwardRequestFrame = ForwardProposalFrame | ReadIndexRequestFrame;
/** The leader's answer to a {@link ForwardRequestFrame}, sent back on the same connection. */
export type ForwardReplyFrame = ForwardProposalReplyFrame | ReadIndexReplyFrame;
/** A failed call on the wire. */
export type ServiceErrorWire = z.infer<typeof ServiceErrorWireSchema>;
/** One forwarded write of a ForwardProposal frame. */
export type ForwardedProposal = z.infer<typeof ForwardedProposalSchema>;
/** A forwarded write's command on the wire. */
export type ForwardedCommand = z.infer<typeof ForwardedCommandSchema>;
/** Any Raft message frame. */
export type MessageFrame = z.infer<typeof MessageFrameSchema>;
/** Any frame of the peer protocol. */
export type PeerFrame = z.infer<typeof PeerFrameSchema>;
