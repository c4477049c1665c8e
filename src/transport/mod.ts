/** WebSocket peer links: the frame codec, the dialing links, the endpoint and snapshot transfer. */

export { crc32 } from "../checksum/crc32.ts";
export {
  DEFAULT_MAX_FRAME_BYTES,
  type DecodeResult,
  decodeFrame,
  encodeError,
  encodeForwardFrame,
  encodeMessage,
  encodeSnapshotChunk,
  frameToMessage,
  frameToSnapshotChunk,
  isForwardReply,
  isForwardRequest,
  isMessageFrame,
  messageToFrame,
  type PeerError,
  type PeerErrorCode,
  type SnapshotChunk,
  snapshotChunkToFrame,
} from "./codec.ts";
export { FRAME_KINDS, type FrameKind, frameKindOf } from "./frame_kind.ts";
export {
  checkHandshake,
  type HandshakeResult,
  NODE_ID_HEADER,
  NODE_URL_HEADER,
  PEER_PATH,
  PEER_REJECT_REASONS,
  type PeerEndpointOptions,
  type PeerHandshake,
  type PeerRejectReason,
  peerConnectionEvents,
  peerEndpointHandler,
  registerPeerEndpoint,
} from "./peer_endpoint.ts";
export {
  backoffDelay,
  DEFAULT_HIGH_WATER_MARK,
  PeerLink,
  type PeerLinkOptions,
  type PeerLinkState,
  SYSTEM_TIMERS,
  type Timers,
} from "./peer_link.ts";
export {
  type LinkSettings,
  type OutgoingSnapshot,
  type PeerAddress,
  type PeerStats,
  type PeerTrafficObserver,
  PeerTransport,
  type PeerTransportOptions,
  peerSocketUrl,
} from "./peer_transport.ts";
export { dialUrlOf, NO_PEER_VIA, type PeerVia, peerViaOf } from "./peer_via.ts";
export {
  DEFAULT_SNAPSHOT_CHUNK_BYTES,
  type ReceivedSnapshot,
  type ReceiveResult,
  type SnapshotMeta,
  SnapshotReceiver,
  type SnapshotReceiverOptions,
  type SnapshotRejection,
  snapshotChunks,
} from "./snapshot_stream.ts";
export { type ClientFetch, type OutboundClients, outboundClients } from "./tls_client.ts";
export { defaultWebSocketImpl, type PeerSocket, type WebSocketImpl } from "./websocket_client.ts";
