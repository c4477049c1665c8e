/**
 * The peer endpoint: the accepting side of peer connections, served at `GET /v1/raft` on the
 * node's HTTP port. The handshake is checked before upgrading (401 for a wrong or missing token,
 * 400 for a malformed one, 426 for a plain request), and every refusal, even a failed upgrade,
 * answers in the API's JSON error envelope; then every frame is decoded and validated, and either
 * handed to the runtime or refused with an Error frame. Bad peer input is dropped; it never throws.
 */

import type { Context, Env, Hono } from "hono";
import type { UpgradeWebSocket, WSContext, WSEvents } from "hono/ws";
import type { Message, NodeId } from "../../packages/core/src/mod.ts";
import { type ApiErrorCode, errorEnvelope, errorStatus } from "../../schemas/api_errors.ts";
import { type ForwardRequestFrame, NodeIdSchema, PEER_PATH } from "../../schemas/peer_frame.ts";
import { sameBytes } from "../text/same_bytes.ts";
import { utf8Bytes } from "../text/utf8.ts";
import { type BinaryDecodeResult, decodeBinaryAppend, isBinaryFrame } from "./binary_append.ts";
import {
  DEFAULT_MAX_FRAME_BYTES,
  decodeFrame,
  encodeError,
  frameToMessage,
  frameToSnapshotChunk,
  isForwardReply,
  isForwardRequest,
  type PeerError,
  type PeerErrorCode,
  type SnapshotChunk,
} from "./codec.ts";
import { checkUpgrade } from "./websocket_handshake.ts";

export { PEER_PATH };
/** Handshake header: the dialer's node id. */
export const NODE_ID_HEADER = "x-raft-node-id";
/** Handshake header: the dialer's own HTTP URL, so the receiver can dial back. */
export const NODE_URL_HEADER = "x-raft-node-url";

/** The dialer, as its handshake introduced it. */
export interface PeerHandshake {
  /** The dialer's node id; every frame on the connection must carry it in `from`. */
  readonly id: NodeId;
  /** The dialer's advertised HTTP URL, or null if it sent none. */
  readonly url: string | null;
}

/** The outcome of {@link checkHandshake}: the peer, or the HTTP refusal to answer with. */
export type HandshakeResult =
  | { readonly ok: true; readonly peer: PeerHandshake }
  | {
      readonly ok: false;
      readonly status: number;
      readonly code: "unauthorized" | "invalid_handshake";
      readonly message: string;
    };

/**
 * Why the endpoint refused a dial or a frame: a handshake refusal (`unauthorized`: a wrong or
 * missing cluster token, i.e. another cluster or an outsider; `invalid_handshake`;
 * `upgrade_required`: a plain HTTP request; `upgrade_failed`), or the code of a refused frame.
 * A fixed set, so metrics labelled with it stay bounded.
 */
export type PeerRejectReason =
  | "unauthorized"
  | "invalid_handshake"
  | "upgrade_required"
  | "upgrade_failed"
  | PeerErrorCode;

/** Every {@link PeerRejectReason}. */
export const PEER_REJECT_REASONS: readonly PeerRejectReason[] = [
  "unauthorized",
  "invalid_handshake",
  "upgrade_required",
  "upgrade_failed",
  "invalid_json",
  "invalid_frame",
  "unsupported_version",
  "frame_too_large",
  "sender_mismatch",
  "unexpected_frame",
];

/** What the endpoint needs from the runtime. Callbacks must not throw. */
export interface PeerEndpointOptions {
  /** The cluster token every dialer must present as `authorization: Bearer <token>`. */
  readonly token: string;
  /** The largest frame accepted, in UTF-8 bytes; default 8 MiB. */
  readonly maxFrameBytes?: number;
  /** A valid Raft message from `from`. */
  readonly onMessage: (from: NodeId, message: Message) => void;
  /** A valid snapshot chunk from `from`; without this callback chunks are refused. */
  readonly onSnapshotChunk?: (from: NodeId, chunk: SnapshotChunk) => void;
  /**
   * A request `from` forwards to this node as its leader (a write, a read-index request); `reply`
   * sends the answer back on the same connection (false if it is gone). Without this callback such
   * frames are refused.
   */
  readonly onForwardRequest?: (from: NodeId, frame: ForwardRequestFrame, reply: (text: string) => boolean) => void;
  /** A connection from `peer` opened (the runtime may dial back `peer.url`). */
  readonly onPeerOpen?: (peer: PeerHandshake) => void;
  /** A connection from `peer` closed. */
  readonly onPeerClose?: (peer: PeerHandshake) => void;
  /** A frame from `from` was refused (an Error frame went back), or `from` sent an Error frame. */
  readonly onFrameError?: (from: NodeId, error: { readonly code: string; readonly message: string }) => void;
  /** The runtime failed to upgrade a handshake that passed every check (answered 500 `internal`). */
  readonly onUpgradeError?: (error: unknown) => void;
  /** A dial or a frame was refused, for `reason` (metrics; the dialer may be anyone). */
  readonly onReject?: (reason: PeerRejectReason) => void;
}

/** Checks the handshake headers of a dial: the bearer token, the node id and the optional URL. */
export function checkHandshake(headers: Headers, token: string): HandshakeResult {
  const auth = headers.get("authorization") ?? "";
  const presented = auth.startsWith("Bearer ") ? auth.slice("Bearer ".length) : null;
  if (presented === null || !sameSecret(presented, token)) {
    return refusal("unauthorized", "wrong or missing token");
  }
  const id = NodeIdSchema.safeParse(headers.get(NODE_ID_HEADER));
  if (!id.success) {
    return refusal("invalid_handshake", `header ${NODE_ID_HEADER} must be a node id ([A-Za-z0-9._-], 1-64 characters)`);
  }
  const url = headers.get(NODE_URL_HEADER);
  if (url !== null && !isHttpUrl(url)) {
    return refusal("invalid_handshake", `header ${NODE_URL_HEADER} must be an http(s) URL`);
  }
  return { ok: true, peer: { id: id.data as NodeId, url } };
}

function refusal(code: "unauthorized" | "invalid_handshake", why: string): HandshakeResult {
  return { ok: false, status: errorStatus(code), code, message: `Cannot open peer connection: ${why}` };
}

/**
 * The Hono handler of `GET /v1/raft`: refuses a bad token with 401, bad handshake headers with 400
 * and a plain HTTP request with 426, all in the JSON error envelope; otherwise upgrades with
 * {@link peerConnectionEvents}, and answers 500 `internal` (no stack) if the runtime cannot.
 */
export function peerEndpointHandler(upgradeWebSocket: UpgradeWebSocket, options: PeerEndpointOptions) {
  return async (c: Context): Promise<Response> => {
    const handshake = checkHandshake(c.req.raw.headers, options.token);
    if (!handshake.ok) {
      options.onReject?.(handshake.code);
      const headers: Record<string, string> = handshake.code === "unauthorized" ? { "www-authenticate": "Bearer" } : {};
      return answer(c, handshake.code, handshake.message, headers);
    }
    const upgrade = checkUpgrade(c.req.raw.headers);
    if (!upgrade.ok) {
      options.onReject?.(upgrade.code);
      return answer(c, upgrade.code, upgrade.message, upgrade.headers);
    }
    try {
      return await upgradeWebSocket(c, peerConnectionEvents(handshake.peer, options));
    } catch (error) {
      options.onReject?.("upgrade_failed");
      options.onUpgradeError?.(error);
      const message = `Cannot open peer connection from ${handshake.peer.id}: the WebSocket upgrade failed`;
      return answer(c, "internal", message);
    }
  };
}

/** A refusal in the API's JSON error envelope, with the status of `code`. */
function answer(c: Context, code: ApiErrorCode, message: string, headers: Record<string, string> = {}): Response {
  return c.json(errorEnvelope(code, message), errorStatus(code), headers);
}

/** Registers the peer endpoint at {@link PEER_PATH} on `app` (a plain route, not an API operation). */
export function registerPeerEndpoint<E extends Env>(
  app: Hono<E>,
  upgradeWebSocket: UpgradeWebSocket,
  options: PeerEndpointOptions,
): void {
  app.get(PEER_PATH, peerEndpointHandler(upgradeWebSocket, options));
}

/** The WebSocket event handlers of one accepted connection from `peer`. */
export function peerConnectionEvents(peer: PeerHandshake, options: PeerEndpointOptions): WSEvents {
  const maxBytes = options.maxFrameBytes ?? DEFAULT_MAX_FRAME_BYTES;
  const receive = (ws: WSContext, text: string | Uint8Array | PeerError) => {
    if (typeof text === "string") handleFrame(peer, options, ws, decodeFrame(text, maxBytes));
    else if (text instanceof Uint8Array) handleBinary(peer, options, ws, decodeBinaryAppend(text, maxBytes));
    else refuse(peer, options, ws, text);
  };
  return {
    onOpen: () => options.onPeerOpen?.(peer),
    onMessage: (event, ws) => {
      const data = event.data;
      if (!(data instanceof Blob)) return receive(ws, frameText(data, maxBytes));
      // Blobs only come from a server whose binaryType is "blob"; their order among frames is lost.
      if (data.size > maxBytes) return receive(ws, tooLarge(data.size, maxBytes));
      data.arrayBuffer().then(
        (buffer) => receive(ws, frameText(buffer, maxBytes)),
        () => undefined, // The connection went away while reading; nothing to answer.
      );
    },
    onClose: () => options.onPeerClose?.(peer),
    onError: () => undefined, // A close event follows; there is nothing to recover.
  };
}

/** A decoded binary frame (an AppendEntriesCall) from `peer`: handed on, or refused. */
function handleBinary(
  peer: PeerHandshake,
  options: PeerEndpointOptions,
  ws: WSContext,
  decoded: BinaryDecodeResult,
): void {
  if (!decoded.ok) refuse(peer, options, ws, decoded.error);
  else if (decoded.from !== peer.id) {
    const message = `Cannot accept frame: from '${decoded.from}' differs from the handshake's node id '${peer.id}'`;
    refuse(peer, options, ws, { code: "sender_mismatch", message });
  } else options.onMessage(peer.id, decoded.message);
}

function handleFrame(
  peer: PeerHandshake,
  options: PeerEndpointOptions,
  ws: WSContext,
  decoded: ReturnType<typeof decodeFrame>,
): void {
  const input = frameInput(peer, options, decoded);
  if ("code" in input) refuse(peer, options, ws, input);
  else if ("peerError" in input) options.onFrameError?.(peer.id, input.peerError);
  else if ("chunk" in input) options.onSnapshotChunk?.(peer.id, input.chunk);
  else if ("request" in input) options.onForwardRequest?.(peer.id, input.request, (text) => sendQuietly(ws, text));
  else options.onMessage(peer.id, input.message);
}

/** Sends `text` on `ws`; false if the connection is closing or gone. */
function sendQuietly(ws: WSContext, text: string): boolean {
  try {
    if (ws.readyState !== 1) return false;
    ws.send(text);
    return true;
  } catch {
    return false; // The connection went away; the follower counts its request as unanswered.
  }
}

type FrameInput =
  | { readonly message: Message }
  | { readonly chunk: SnapshotChunk }
  | { readonly request: ForwardRequestFrame }
  | { readonly peerError: { readonly code: string; readonly message: string } }
  | PeerError;

/** What a decoded frame from `peer` asks of the runtime, or why it is refused. */
function frameInput(
  peer: PeerHandshake,
  options: PeerEndpointOptions,
  decoded: ReturnType<typeof decodeFrame>,
): FrameInput {
  if (!decoded.ok) return decoded.error;
  const frame = decoded.frame;
  if (frame.type === "Error") return { peerError: { code: frame.code, message: frame.message } }; // Never answered.
  if (frame.from !== peer.id) {
    const message = `Cannot accept frame: from '${frame.from}' differs from the handshake's node id '${peer.id}'`;
    return { code: "sender_mismatch", message };
  }
  if (frame.type === "SnapshotChunk" && options.onSnapshotChunk === undefined) {
    return { code: "unexpected_frame", message: "Cannot accept frame: this node takes no snapshot chunks" };
  }
  if (isForwardRequest(frame)) {
    if (options.onForwardRequest !== undefined) return { request: frame };
    return { code: "unexpected_frame", message: "Cannot accept frame: this node takes no forwarded requests" };
  }
  if (isForwardReply(frame)) {
    const message = `Cannot accept frame: a ${frame.type} travels back on the link that carried the request`;
    return { code: "unexpected_frame", message };
  }
  try {
    return frame.type === "SnapshotChunk" ? { chunk: frameToSnapshotChunk(frame) } : { message: frameToMessage(frame) };
  } catch (e) {
    // The schema admits only frames the core can hold; this guards peer input against a gap in it.
    return { code: "invalid_frame", message: `Cannot accept frame: ${(e as Error).message}` };
  }
}

function refuse(peer: PeerHandshake, options: PeerEndpointOptions, ws: WSContext, error: PeerError): void {
  options.onReject?.(error.code);
  try {
    ws.send(encodeError(error));
  } catch {
    // The connection is closing; the refusal has nowhere to go.
  }
  options.onFrameError?.(peer.id, error);
}

const utf8 = new TextDecoder("utf-8", { fatal: true });

/**
 * The text of a received frame, the bytes of a binary frame (see `binary_append.ts`), or the
 * refusal for bad data. Other binary frames are read as UTF-8 JSON text.
 */
function frameText(data: string | ArrayBufferLike | Uint8Array, maxBytes: number): string | Uint8Array | PeerError {
  if (typeof data === "string") return data;
  if (data.byteLength > maxBytes) return tooLarge(data.byteLength, maxBytes);
  const bytes = data instanceof Uint8Array ? data : new Uint8Array(data);
  if (isBinaryFrame(bytes)) return bytes;
  try {
    return utf8.decode(bytes);
  } catch {
    return { code: "invalid_json", message: "Cannot decode binary frame: it is not valid UTF-8" };
  }
}

function tooLarge(size: number, maxBytes: number): PeerError {
  return { code: "frame_too_large", message: `Cannot accept frame: ${size} bytes exceed the limit of ${maxBytes}` };
}

/** True iff the secret `a` equals the non-empty `b` (compared without leaking where they first differ). */
function sameSecret(a: string, b: string): boolean {
  return b.length > 0 && sameBytes(utf8Bytes(a), utf8Bytes(b));
}

function isHttpUrl(text: string): boolean {
  if (text.length > 2048) return false;
  try {
    const url = new URL(text);
    return url.protocol === "http:" || url.protocol === "https:";
  } catch {
    return false;
  }
}
