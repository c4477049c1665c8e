/**
 * What the dashboard needs of the client package (`RaftClient` has these methods, among others):
 * the answers it reads, as the node API documents them, and the client's result and error shapes.
 * The dashboard depends on this interface only, so its logic runs in tests without a browser.
 */

/** A failed call, as the client reports it. */
export interface ClientError {
  /** The API's error code, or `network`, `timeout`, `invalid_response`. */
  readonly code: string;
  readonly message: string;
  /** True only when the request certainly had no effect. */
  readonly definite: boolean;
  /** The HTTP status, when a node answered. */
  readonly status?: number;
  readonly leader?: { readonly id: string; readonly url: string } | null;
  readonly servedBy?: string | null;
  readonly details?: unknown;
  /** How many attempts the client made. */
  readonly attempts: number;
}

/** The result of a client call: the value and who served it, or the error. */
export type ClientResult<T> =
  | {
      readonly ok: true;
      readonly value: T;
      readonly servedBy: string | null;
      readonly leader: string | null;
      readonly replayed: boolean;
    }
  | { readonly ok: false; readonly error: ClientError };

/** A member id and URL. */
export interface Member {
  readonly id: string;
  readonly url: string;
}

/** A member's role in the latest configuration. */
export type MemberRole = "voter" | "learner" | "joining_voter" | "leaving_voter";

/** The fields of `GET /v1/status` the dashboard shows. */
export interface NodeStatus {
  readonly id: string;
  readonly url: string;
  readonly role: "follower" | "precandidate" | "candidate" | "leader";
  readonly term: number;
  readonly leader: Member | null;
  readonly commitIndex: number;
  readonly appliedIndex: number;
  readonly lastIndex: number;
  readonly snapshotIndex: number;
  readonly members: ReadonlyArray<{ readonly id: string; readonly url: string | null; readonly role: MemberRole }>;
  readonly progress: ReadonlyArray<{
    readonly id: string;
    readonly matchIndex: number;
    readonly state: "probe" | "replicate" | "snapshot";
    readonly lastContactMs: number | null;
  }>;
  readonly runtime: { readonly name: string; readonly version: string };
}

/** One member as `GET /v1/cluster/members` reports it (the leader's view). */
export interface MemberView {
  readonly id: string;
  readonly url: string | null;
  readonly role: MemberRole;
  readonly leader: boolean;
  readonly matchIndex: number | null;
  readonly lag: number | null;
  readonly lastContactMs: number | null;
  readonly reachable: boolean | null;
  readonly promotionPending: boolean;
}

/** Body of `GET /v1/cluster/members`. */
export interface Members {
  readonly members: readonly MemberView[];
}

/** Body of a membership change. */
export interface MembershipChange {
  readonly changed: boolean;
  readonly members: readonly MemberView[];
}

/** Body of a leadership transfer. */
export interface LeaderChange {
  readonly leader: Member;
  readonly term: number;
}

/** Body of `POST /v1/snapshot`. */
export interface SnapshotInfo {
  readonly index: number;
  readonly term: number;
  readonly bytes: number;
}

/** The client calls the dashboard makes. */
export interface DashboardApi {
  status(): Promise<ClientResult<NodeStatus>>;
  members(): Promise<ClientResult<Members>>;
  addMember(member: {
    readonly id: string;
    readonly url: string;
    readonly learner?: boolean;
  }): Promise<ClientResult<MembershipChange>>;
  promoteMember(id: string): Promise<ClientResult<MembershipChange>>;
  removeMember(id: string, options?: { readonly force?: boolean }): Promise<ClientResult<MembershipChange>>;
  transferLeader(options?: { readonly to?: string }): Promise<ClientResult<LeaderChange>>;
  snapshot(): Promise<ClientResult<SnapshotInfo>>;
}
