/** The shapes of peer frames on the wire, and why a frame was refused. */

/** One WebSocket frame: JSON text, or the bytes of a binary frame. */
export type WireFrame = string | Uint8Array;

/** Why a frame was refused; the codes of Error frames this node sends. */
export type PeerErrorCode =
  | "invalid_json" // The frame is not JSON (or binary that is not UTF-8).
  | "invalid_frame" // JSON that the frame schema does not accept.
  | "unsupported_version" // A protocol version this node does not speak.
  | "frame_too_large" // Longer than the receiver's frame limit.
  | "sender_mismatch" // `from` differs from the node id given in the handshake.
  | "unexpected_frame"; // A valid frame that this side of a link does not take.

/** A refused frame: the body of the Error frame sent back. */
export interface PeerError {
  /** A machine-readable reason. */
  readonly code: PeerErrorCode;
  /** What was wrong, for people. */
  readonly message: string;
}
