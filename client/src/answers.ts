/**
 * Shape checks of the API's answers: a body that is JSON but not what the API sends (a proxy's
 * page, another service) becomes `invalid_response` instead of a value of the wrong type. They
 * check what callers rely on, not every field (the server validates its own answers).
 */
import type {
  BootstrapResult,
  DeleteValue,
  GetValue,
  KvEntry,
  LeaderChange,
  ListPage,
  Liveness,
  Member,
  MemberList,
  MembershipChange,
  NodeStatus,
  PutValue,
  Readiness,
  SnapshotInfo,
} from "./values.ts";

/** The API's error envelope `{ error: { code, message, details?, definite? } }`. */
export interface ErrorEnvelope {
  readonly error: {
    readonly code: string;
    readonly message: string;
    readonly details?: Record<string, unknown>;
    readonly definite?: boolean;
  };
}

/** True for a plain (non-array) object. */
export function isObject(x: unknown): x is Record<string, unknown> {
  return typeof x === "object" && x !== null && !Array.isArray(x);
}

/** True for a non-negative safe integer (indexes, revisions, terms). */
function isIndex(x: unknown): x is number {
  return Number.isSafeInteger(x) && (x as number) >= 0;
}

/** True for the error envelope. */
export function isErrorEnvelope(x: unknown): x is ErrorEnvelope {
  if (!isObject(x) || !isObject(x.error)) return false;
  const e = x.error;
  if (typeof e.code !== "string" || e.code === "" || typeof e.message !== "string") return false;
  if (e.details !== undefined && !isObject(e.details)) return false;
  return e.definite === undefined || typeof e.definite === "boolean";
}

/** True for `{ id, url }` with both strings. */
export function isMember(x: unknown): x is Member {
  return isObject(x) && typeof x.id === "string" && typeof x.url === "string";
}

/** True for a key with its metadata. */
export function isKvEntry(x: unknown): x is KvEntry {
  return (
    isObject(x) &&
    typeof x.key === "string" &&
    typeof x.value === "string" &&
    isIndex(x.revision) &&
    isIndex(x.createRevision) &&
    isIndex(x.version)
  );
}

/** True for the answer to a read of one key. */
export function isGetValue(x: unknown): x is GetValue {
  return isKvEntry(x) && isIndex((x as Record<string, unknown>).index);
}

/** True for the answer to a put. */
export function isPutValue(x: unknown): x is PutValue {
  return (
    isObject(x) &&
    typeof x.key === "string" &&
    isIndex(x.revision) &&
    isIndex(x.index) &&
    (x.prev === null || isKvEntry(x.prev))
  );
}

/** True for the answer to a delete. */
export function isDeleteValue(x: unknown): x is DeleteValue {
  return isPutValue(x) && typeof (x as Record<string, unknown>).deleted === "boolean";
}

/** True for one page of a listing. */
export function isListPage(x: unknown): x is ListPage {
  return (
    isObject(x) &&
    Array.isArray(x.items) &&
    x.items.every(isKvEntry) &&
    typeof x.more === "boolean" &&
    (x.next === null || typeof x.next === "string") &&
    isIndex(x.index)
  );
}

/** True for `GET /v1/status`. */
export function isNodeStatus(x: unknown): x is NodeStatus {
  return (
    isObject(x) &&
    typeof x.id === "string" &&
    typeof x.role === "string" &&
    isIndex(x.term) &&
    (x.leader === null || isMember(x.leader)) &&
    Array.isArray(x.members)
  );
}

/** True for a list of member views. */
function isMemberViews(x: unknown): boolean {
  return Array.isArray(x) && x.every((m) => isObject(m) && typeof m.id === "string" && typeof m.role === "string");
}

/** True for `GET /v1/cluster/members`. */
export function isMemberList(x: unknown): x is MemberList {
  return isObject(x) && isMemberViews(x.members);
}

/** True for the answer to a membership change. */
export function isMembershipChange(x: unknown): x is MembershipChange {
  return isObject(x) && typeof x.changed === "boolean" && isMemberViews(x.members);
}

/** True for the answer to a leadership transfer. */
export function isLeaderChange(x: unknown): x is LeaderChange {
  return isObject(x) && isMember(x.leader) && isIndex(x.term);
}

/** True for the answer to taking a snapshot. */
export function isSnapshotInfo(x: unknown): x is SnapshotInfo {
  return isObject(x) && isIndex(x.index) && isIndex(x.term) && isIndex(x.bytes);
}

/** True for `GET /livez`. */
export function isLiveness(x: unknown): x is Liveness {
  return isObject(x) && x.live === true;
}

/** True for `GET /readyz` (200 and 503 alike). */
export function isReadiness(x: unknown): x is Readiness {
  return (
    isObject(x) &&
    typeof x.ready === "boolean" &&
    Array.isArray(x.checks) &&
    x.checks.every((c) => isObject(c) && typeof c.name === "string" && typeof c.ok === "boolean")
  );
}

/** True for the answer to a bootstrap. */
export function isBootstrapResult(x: unknown): x is BootstrapResult {
  return isObject(x) && Array.isArray(x.members) && x.members.every(isMember);
}
