/**
 * The client facade: the key-value and cluster operations of the API, each one call that resolves
 * with a typed {@link ClientResult}. Requests go through openapi-fetch, typed by the API types
 * generated from `openapi.json`.
 */
import createClient from "openapi-fetch";
import {
  isBootstrapResult,
  isDeleteValue,
  isGetValue,
  isLeaderChange,
  isListPage,
  isLiveness,
  isMemberList,
  isMembershipChange,
  isNodeStatus,
  isPutValue,
  isReadiness,
  isSnapshotInfo,
} from "./answers.ts";
import type { paths } from "./api_types.ts";
import { type Answer, type CallEnv, type CallSpec, runCall, type SendContext } from "./call.ts";
import type {
  CallOptions,
  ListOptions,
  MembersOptions,
  NodeCallOptions,
  ReadOptions,
  WriteOptions,
} from "./call_options.ts";
import type { ClientResult } from "./client_error.ts";
import { expectBody, isNotFound, stuckCursor } from "./decoders.ts";
import { Endpoints, type KnownLeader } from "./endpoints.ts";
import { IDEMPOTENCY_KEY_HEADER } from "./headers.ts";
import { checkIdempotencyKey, idempotencyHeaderValue } from "./idempotency.ts";
import {
  checkAttempts,
  checkTimeout,
  normalizeEndpoint,
  type RaftClientOptions,
  type ResolvedOptions,
  resolveOptions,
} from "./options.ts";
import { conditionsOf, init, keyPath, keyProblem, redirectQuery } from "./request_parts.ts";
import type {
  BootstrapResult,
  DeleteValue,
  GetValue,
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

/** A spec without the parts every call fills in from its options. */
type BareSpec<T> = Omit<CallSpec<T>, "timeoutMs" | "attempts" | "signal" | "endpoint">;

/**
 * A fetch-only client of a raftbare-ts cluster: follows the leader, retries where safe, and
 * resolves every call with a {@link ClientResult}. Only programming errors throw, synchronously: a
 * key or value that is not a string, a malformed idempotency key, a bad `timeoutMs` or `attempts`.
 */
export class RaftClient {
  readonly #options: ResolvedOptions;
  readonly #env: CallEnv;
  readonly #api = createClient<paths>();

  /** A client of the cluster behind `options.endpoints`; throws TypeError or RangeError on unusable options. */
  constructor(options: RaftClientOptions) {
    this.#options = resolveOptions(options);
    this.#env = { options: this.#options, endpoints: new Endpoints(this.#options.endpoints) };
  }

  /** The configured endpoints (normalized). */
  get endpoints(): readonly string[] {
    return this.#env.endpoints.urls;
  }

  /** The leader as the client last learned it (id and URL, either may be unknown), or null. */
  get leader(): KnownLeader | null {
    return this.#env.endpoints.leader;
  }

  /** Writes `value` to `key` (compare-and-set with `expectRevision`/`expectValue`). */
  put(key: string, value: string, options: WriteOptions = {}): Promise<ClientResult<PutValue>> {
    if (typeof value !== "string") throw new TypeError(`a value must be a string, not ${typeof value}`);
    const bad = keyProblem(key);
    if (bad !== null) return Promise.resolve(bad);
    const body = { value, ...conditionsOf(options) };
    return this.#write(`PUT ${keyPath(key)}`, options, isPutValue, (ctx) =>
      this.#api.PUT("/v1/kv/{key}", { ...init(ctx), params: { path: { key }, query: redirectQuery(ctx) }, body }),
    );
  }

  /** Reads `key`; resolves with value null when it does not exist. */
  get(key: string, options: ReadOptions = {}): Promise<ClientResult<GetValue | null>> {
    const bad = keyProblem(key);
    if (bad !== null) return Promise.resolve(bad);
    const consistency = options.consistency;
    const spec: BareSpec<GetValue | null> = {
      what: `GET ${keyPath(key)}`,
      kind: "read",
      needsLeader: consistency !== "stale",
      idempotent: true,
      send: (ctx) => {
        const query = { ...redirectQuery(ctx), ...(consistency === undefined ? {} : { consistency }) };
        return this.#api.GET("/v1/kv/{key}", { ...init(ctx), params: { path: { key }, query } });
      },
      decode: (answer) => (isNotFound(answer) ? { value: null } : expectBody(isGetValue, "a key")(answer)),
    };
    return this.#run(spec, options);
  }

  /** Deletes `key` (compare-and-delete with `expectRevision`/`expectValue`); `deleted` is false if it did not exist. */
  delete(key: string, options: WriteOptions = {}): Promise<ClientResult<DeleteValue>> {
    const bad = keyProblem(key);
    if (bad !== null) return Promise.resolve(bad);
    const conditions = conditionsOf(options);
    return this.#write(`DELETE ${keyPath(key)}`, options, isDeleteValue, (ctx) =>
      this.#api.DELETE("/v1/kv/{key}", {
        ...init(ctx),
        params: { path: { key }, query: { ...redirectQuery(ctx), ...conditions } },
      }),
    );
  }

  /** One page of keys in key order; pass its `next` as `after` for the next page (or use {@link RaftClient.listAll}). */
  list(options: ListOptions = {}): Promise<ClientResult<ListPage>> {
    const { prefix, limit, after, consistency } = options;
    const query = { prefix, limit, after, consistency };
    for (const name of Object.keys(query) as (keyof typeof query)[]) if (query[name] === undefined) delete query[name];
    const spec: BareSpec<ListPage> = {
      what: "GET /v1/kv",
      kind: "read",
      needsLeader: consistency !== "stale",
      idempotent: true,
      send: (ctx) => this.#api.GET("/v1/kv", { ...init(ctx), params: { query: { ...query, ...redirectQuery(ctx) } } }),
      decode: expectBody(isListPage, "a page of keys"),
    };
    return this.#run(spec, options);
  }

  /** Every page of a listing in turn, following `next`; a failed page is the last one yielded. */
  async *listAll(options: ListOptions = {}): AsyncGenerator<ClientResult<ListPage>, void, undefined> {
    let after = options.after;
    for (;;) {
      const page = await this.list({ ...options, after });
      yield page;
      if (!page.ok || !page.value.more || page.value.next === null) return;
      // The cursor must move forward, or the iteration would never end.
      if (after !== undefined && page.value.next <= after) {
        yield stuckCursor(after, page.value.next, page.servedBy);
        return;
      }
      after = page.value.next;
    }
  }

  /** `GET /v1/status` of one node (`endpoint`, default the leader or the endpoints in turn). */
  status(options: NodeCallOptions = {}): Promise<ClientResult<NodeStatus>> {
    return this.#node("GET /v1/status", "read", options, isNodeStatus, (ctx) => this.#api.GET("/v1/status", init(ctx)));
  }

  /** Every member as the leader sees it (role, match index, lag, last contact); `stale`: as this node sees it. */
  members(options: MembersOptions = {}): Promise<ClientResult<MemberList>> {
    const consistency = options.consistency;
    const spec: BareSpec<MemberList> = {
      what: "GET /v1/cluster/members",
      kind: "read",
      needsLeader: consistency !== "stale",
      idempotent: true,
      send: (ctx) => {
        const query = { ...redirectQuery(ctx), ...(consistency === undefined ? {} : { consistency }) };
        return this.#api.GET("/v1/cluster/members", { ...init(ctx), params: { query } });
      },
      decode: expectBody(isMemberList, "a member list"),
    };
    return this.#run(spec, options);
  }

  /** Adds a member (a learner, promoted once caught up unless `learner`); adding it again at the same URL changes nothing, so it is retried like a read. */
  addMember(
    member: Member & { readonly learner?: boolean },
    options: CallOptions = {},
  ): Promise<ClientResult<MembershipChange>> {
    const body = {
      id: member.id,
      url: member.url,
      ...(member.learner === undefined ? {} : { learner: member.learner }),
    };
    return this.#admin("POST /v1/cluster/members", true, options, isMembershipChange, (ctx) =>
      this.#api.POST("/v1/cluster/members", { ...init(ctx), params: { query: redirectQuery(ctx) }, body }),
    );
  }

  /** Promotes a learner to voter; promoting a voter changes nothing, so it is retried like a read. */
  promoteMember(id: string, options: CallOptions = {}): Promise<ClientResult<MembershipChange>> {
    return this.#admin(`POST /v1/cluster/members/${id}/promote`, true, options, isMembershipChange, (ctx) =>
      this.#api.POST("/v1/cluster/members/{id}/promote", {
        ...init(ctx),
        params: { path: { id }, query: redirectQuery(ctx) },
      }),
    );
  }

  /** Removes a member (`force` even if fewer reachable voters than a quorum would be left); retried only where it certainly did nothing. */
  removeMember(
    id: string,
    options: CallOptions & { readonly force?: boolean } = {},
  ): Promise<ClientResult<MembershipChange>> {
    const force = options.force === true ? { force: "true" as const } : {};
    return this.#admin(`DELETE /v1/cluster/members/${id}`, false, options, isMembershipChange, (ctx) =>
      this.#api.DELETE("/v1/cluster/members/{id}", {
        ...init(ctx),
        params: { path: { id }, query: { ...redirectQuery(ctx), ...force } },
      }),
    );
  }

  /** Hands leadership to `to` (default the most caught-up voter); retried only where it certainly did nothing. */
  transferLeader(
    target: { readonly to?: string } = {},
    options: CallOptions = {},
  ): Promise<ClientResult<LeaderChange>> {
    const body = target.to === undefined ? {} : { to: target.to };
    return this.#admin("POST /v1/cluster/leader", false, options, isLeaderChange, (ctx) =>
      this.#api.POST("/v1/cluster/leader", { ...init(ctx), params: { query: redirectQuery(ctx) }, body }),
    );
  }

  /** Takes a snapshot on one node (a local operation; taking another one is harmless, so it is retried). */
  snapshot(options: NodeCallOptions = {}): Promise<ClientResult<SnapshotInfo>> {
    return this.#node("POST /v1/snapshot", "write", options, isSnapshotInfo, (ctx) =>
      this.#api.POST("/v1/snapshot", init(ctx)),
    );
  }

  /** `GET /livez` of one node. */
  health(options: NodeCallOptions = {}): Promise<ClientResult<Liveness>> {
    return this.#node("GET /livez", "read", options, isLiveness, (ctx) => this.#api.GET("/livez", init(ctx)));
  }

  /** `GET /readyz` of one node: resolves with its checks whether it is ready (200) or not (503). */
  readyz(options: NodeCallOptions = {}): Promise<ClientResult<Readiness>> {
    const spec: BareSpec<Readiness> = {
      what: "GET /readyz",
      kind: "read",
      needsLeader: false,
      idempotent: true,
      send: (ctx) => this.#api.GET("/readyz", init(ctx)),
      decode: (answer) => {
        const body = answer.response.ok ? answer.data : answer.error;
        if (answer.response.status !== 200 && answer.response.status !== 503) return "error";
        return isReadiness(body) ? { value: body } : { invalid: "the body is not a readiness report" };
      },
    };
    return this.#run(spec, options, options.endpoint);
  }

  /** Bootstraps a new cluster with these voters through one node; retried only where it certainly did nothing. */
  bootstrap(members: readonly Member[], options: NodeCallOptions = {}): Promise<ClientResult<BootstrapResult>> {
    const body = { members: members.map((m) => ({ id: m.id, url: m.url })) };
    const spec: BareSpec<BootstrapResult> = {
      what: "POST /v1/cluster",
      kind: "write",
      needsLeader: false,
      idempotent: false,
      send: (ctx) => this.#api.POST("/v1/cluster", { ...init(ctx), body }),
      decode: expectBody(isBootstrapResult, "a bootstrap result"),
    };
    return this.#run(spec, options, options.endpoint);
  }

  /** A key write with its idempotency key (made here unless the caller brought one or opted out). */
  #write<T>(
    what: string,
    options: WriteOptions,
    guard: (x: unknown) => x is T,
    send: (ctx: SendContext) => Promise<Answer>,
  ): Promise<ClientResult<T>> {
    const key = this.#idempotencyKeyOf(options.idempotencyKey);
    const headers: Record<string, string> =
      key === null ? {} : { [IDEMPOTENCY_KEY_HEADER]: idempotencyHeaderValue(key) };
    const spec: BareSpec<T> = {
      what,
      kind: "write",
      needsLeader: true,
      idempotent: key !== null,
      headers,
      send,
      decode: expectBody(guard, "a write result"),
    };
    return this.#run(spec, options);
  }

  /** A cluster change served by the leader; `idempotent` when repeating it cannot change more. */
  #admin<T>(
    what: string,
    idempotent: boolean,
    options: CallOptions,
    guard: (x: unknown) => x is T,
    send: (ctx: SendContext) => Promise<Answer>,
  ): Promise<ClientResult<T>> {
    const spec: BareSpec<T> = {
      what,
      kind: "write",
      needsLeader: true,
      idempotent,
      send,
      decode: expectBody(guard, "a change"),
    };
    return this.#run(spec, options);
  }

  /** A call one node answers about itself. */
  #node<T>(
    what: string,
    kind: "read" | "write",
    options: NodeCallOptions,
    guard: (x: unknown) => x is T,
    send: (ctx: SendContext) => Promise<Answer>,
  ): Promise<ClientResult<T>> {
    const spec: BareSpec<T> = {
      what,
      kind,
      needsLeader: false,
      idempotent: true,
      send,
      decode: expectBody(guard, what),
    };
    return this.#run(spec, options, options.endpoint);
  }

  /** Runs `spec` with the call's options over the client's defaults. */
  #run<T>(spec: BareSpec<T>, options: CallOptions, endpoint?: string): Promise<ClientResult<T>> {
    const full: CallSpec<T> = {
      ...spec,
      timeoutMs: checkTimeout(options.timeoutMs ?? this.#options.timeoutMs),
      attempts: checkAttempts(options.attempts ?? this.#options.attempts),
      signal: options.signal,
      endpoint: endpoint === undefined ? undefined : normalizeEndpoint(endpoint),
    };
    return runCall(this.#env, full);
  }

  /** The idempotency key of a write: the caller's (checked), none (`null`), or a fresh one. */
  #idempotencyKeyOf(given: string | null | undefined): string | null {
    if (given === null) return null;
    if (given !== undefined) {
      checkIdempotencyKey(given);
      return given;
    }
    const made = this.#options.newIdempotencyKey();
    checkIdempotencyKey(made);
    return made;
  }
}
