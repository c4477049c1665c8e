/**
 * The values the client's calls resolve with, named after the API's schemas in `openapi.json`
 * (generated into api_types.ts).
 */
import type { components } from "./api_types.ts";

type Schemas = components["schemas"];

/** A member's id and URL. */
export type Member = Schemas["Member"];
/** One key with its metadata; revisions are log indexes. */
export type KvEntry = Schemas["KvEntry"];
/** A key read: the entry and the applied log index the read reflects. */
export type GetValue = Schemas["KvGetResult"];
/** A successful put: where it landed in the log and the entry it replaced. */
export type PutValue = Schemas["KvPutResult"];
/** A successful delete: `deleted` is false when the key did not exist. */
export type DeleteValue = Schemas["KvDeleteResult"];
/** One page of a listing; `next` is the cursor of the following page when `more`. */
export type ListPage = Schemas["KvListResult"];
/** `GET /v1/status` of the node that answered. */
export type NodeStatus = Schemas["NodeStatus"];
/** `GET /v1/cluster/members`: every member as the leader sees it. */
export type MemberList = Schemas["Members"];
/** The answer to a membership change: whether it changed anything, and the members after it. */
export type MembershipChange = Schemas["MembershipChange"];
/** The answer to a leadership transfer: the new leader and its term. */
export type LeaderChange = Schemas["LeaderChange"];
/** A snapshot a node took: the log position it covers and its size. */
export type SnapshotInfo = Schemas["SnapshotInfo"];
/** `GET /livez`. */
export type Liveness = Schemas["Livez"];
/** `GET /readyz`: ready or not, with each check (the client resolves with it on 200 and 503 alike). */
export type Readiness = Schemas["Readyz"];
/** The answer to a bootstrap: the voters of the new cluster. */
export type BootstrapResult = Schemas["BootstrapResult"];
/** How fresh a read must be: `linearizable` (default), `leader` or `stale`. */
export type Consistency = "linearizable" | "leader" | "stale";
/** An error code of the HTTP API. */
export type ApiErrorCode = Schemas["ErrorCode"];
