/**
 * raftbare-ts-client: a fetch-only client of a raftbare-ts cluster for Bun, Deno, Node 20,
 * Cloudflare Workers and browsers. It follows the leader, bounds every attempt with a deadline,
 * retries with backoff and full jitter only where that cannot apply a write twice (every write
 * carries an idempotency key), and resolves every call with a typed result instead of throwing.
 *
 * @module
 */
export type { paths as ApiPaths } from "./api_types.ts";
export type {
  CallOptions,
  ListOptions,
  MembersOptions,
  NodeCallOptions,
  ReadOptions,
  WriteOptions,
} from "./call_options.ts";
export type {
  ClientError,
  ClientErrorCode,
  ClientFailure,
  ClientResult,
  ClientSideErrorCode,
  ClientSuccess,
} from "./client_error.ts";
export type { KnownLeader } from "./endpoints.ts";
export { IDEMPOTENCY_KEY_HEADER, LEADER_HEADER, REPLAYED_HEADER, SERVED_BY_HEADER } from "./headers.ts";
export { idempotencyHeaderValue, MAX_IDEMPOTENCY_KEY_LENGTH, newIdempotencyKey } from "./idempotency.ts";
export {
  DEFAULT_ATTEMPTS,
  DEFAULT_BACKOFF_MS,
  DEFAULT_TIMEOUT_MS,
  type FetchFunction,
  MAX_ATTEMPTS,
  type RaftClientOptions,
  type Routing,
} from "./options.ts";
export { RaftClient } from "./raft_client.ts";
export { type BackoffMs, backoffCeiling, backoffDelay, isRetrySafe, isTransient, type SleepFunction } from "./retry.ts";
export type * from "./values.ts";
