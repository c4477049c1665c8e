/**
 * Membership operations of a node, as an operator drives them: list the members with their
 * replication state, add a node as a learner (promoted to voter once caught up), promote,
 * remove (refused when the voters left could not form a quorum, unless forced), and transfer
 * leadership. Every change goes through the core's joint consensus and answers once the final
 * configuration is committed, or with a clear timeout.
 */
import {
  type ClusterConfig,
  hasJointMajority,
  hasMajority,
  type NodeId,
  type ProposeRefusal,
  type ProposeResult,
} from "../../packages/core/src/mod.ts";
import type { Clock, TimerHandle } from "./clock.ts";
import type { RaftRuntime } from "./runtime.ts";
import type { LeaderChange, MemberInfo, MemberStatus, MembershipChange, MemberView, ServiceError } from "./service.ts";
import { fail } from "./write_outcome.ts";

/** How membership operations behave. */
export interface MembershipSettings {
  /** A learner is caught up (may be promoted) once at most this many entries behind the commit index. */
  readonly promoteLag: number;
  /** How long an operation waits for its configuration change or transfer to complete. */
  readonly changeTimeoutMs: number;
}

/** Default {@link MembershipSettings}. */
export const DEFAULT_MEMBERSHIP_SETTINGS: MembershipSettings = { promoteLag: 100, changeTimeoutMs: 10_000 };

/** How often the leader checks whether a learner waiting for promotion has caught up. */
const PROMOTION_CHECK_MS = 100;
/** Learners waiting for automatic promotion, at most (the configuration is far smaller). */
const MAX_PENDING_PROMOTIONS = 64;

/** The role of `id` in `config`, as the API names it. */
export function roleOf(config: ClusterConfig, id: string): MemberStatus["role"] {
  const old = config.voters.includes(id as NodeId);
  if (!config.isJoint) return old ? "voter" : "learner";
  const next = config.newVoters.includes(id as NodeId);
  if (old && next) return "voter";
  if (next) return "joining_voter";
  return old ? "leaving_voter" : "learner";
}

/** Membership operations over one node's runtime. */
export class Membership<R> {
  readonly #rt: RaftRuntime<R>;
  readonly #self: MemberInfo;
  readonly #clock: Clock;
  readonly #settings: MembershipSettings;
  /** Learners to promote once caught up (kept by the leader that added them). */
  readonly #pending = new Set<NodeId>();
  readonly #notLeader: () => ServiceError;
  #timer: TimerHandle | null = null;

  /**
   * Operations on `rt`, the runtime of node `self`; `notLeader` is the service's answer on a node
   * that does not lead (it names the leader, so the HTTP layer can forward the request there).
   */
  constructor(
    rt: RaftRuntime<R>,
    self: MemberInfo,
    clock: Clock,
    settings: MembershipSettings,
    notLeader: () => ServiceError,
  ) {
    this.#rt = rt;
    this.#self = self;
    this.#clock = clock;
    this.#settings = settings;
    this.#notLeader = notLeader;
  }

  /** Every member of the latest configuration, with what this node knows of its replication. */
  list(): MemberView[] {
    const node = this.#rt.node;
    const config = node.config;
    const progress = new Map(this.#rt.progress().map((p) => [p.id as string, p]));
    const leading = node.role === "leader";
    const reachWithin = this.#rt.timing.electionTimeoutMs;
    return config.uniqueNodes().map((id) => {
      const p = progress.get(id);
      const isSelf = id === this.#self.id;
      const known = leading && p !== undefined;
      return {
        id,
        url: (isSelf ? this.#self.url : this.#rt.urlOf(id)) ?? null,
        role: roleOf(config, id),
        leader: node.leaderId === id,
        matchIndex: known ? p.matchIndex : null,
        lag: known ? Math.max(0, node.commitIndex - p.matchIndex) : null,
        lastContactMs: known ? p.lastContactMs : null,
        reachable: isSelf ? true : known ? p.lastContactMs !== null && p.lastContactMs <= reachWithin : null,
        promotionPending: this.#pending.has(id),
      };
    });
  }

  /**
   * Adds `id` at `url` as a learner; unless `learner` is true it is promoted to voter once caught
   * up. The same id at the same URL again is a no-op; at another URL it is refused (`member_conflict`).
   */
  async add(id: NodeId, url: string, learner: boolean): Promise<MembershipChange | ServiceError> {
    const busy = await this.#waitIdle();
    if (busy !== null) return busy;
    const config = this.#rt.node.config;
    if (config.contains(id)) {
      const known = id === this.#self.id ? this.#self.url : config.addressOf(id);
      if (known !== undefined && known !== url) {
        return fail("member_conflict", `member ${id} already exists at ${known}, not ${url}; remove it first`, {
          definite: true,
          details: { id, url: known },
        });
      }
      if (!learner && !config.isVoter(id)) this.#expectPromotion(id);
      return { ok: true, changed: false, members: this.list() };
    }
    const next = config.with({ nonVoters: [...config.nonVoters, id], addresses: { [id]: url } });
    const outcome = await this.#change(this.#rt.proposeConfig(next), (c) => c.nonVoters.includes(id));
    if (outcome !== null) return outcome;
    this.#rt.logger.info(`added ${id} at ${url} as a learner`, { event: "member_added", id, url, learner });
    if (!learner) this.#expectPromotion(id);
    return { ok: true, changed: true, members: this.list() };
  }

  /** Promotes learner `id` to voter through joint consensus; refused (`learner_behind`) while it lags. */
  async promote(id: NodeId): Promise<MembershipChange | ServiceError> {
    const busy = await this.#waitIdle();
    if (busy !== null) return busy;
    const config = this.#rt.node.config;
    if (!config.contains(id)) return fail("not_found", `${id} is not a member`, { definite: true });
    if (config.isVoter(id) && !config.isJoint) return { ok: true, changed: false, members: this.list() };
    const result = this.#rt.promoteLearner(id, this.#settings.promoteLag);
    const outcome = await this.#change(result, (c) => c.voters.includes(id));
    if (outcome !== null) return outcome;
    this.#pending.delete(id);
    this.#rt.logger.info(`promoted ${id} to voter`, { event: "member_promoted", id, auto: false });
    return { ok: true, changed: true, members: this.list() };
  }

  /**
   * Removes `id` through joint consensus (the leader itself included: it steps down once the new
   * configuration commits). Unless `force`, refused (`quorum_at_risk`) when the voters that would
   * remain, counting only those the leader heard from within an election timeout, are no quorum.
   */
  async remove(id: NodeId, force: boolean): Promise<MembershipChange | ServiceError> {
    this.#pending.delete(id);
    const busy = await this.#waitIdle();
    if (busy !== null) return busy;
    const config = this.#rt.node.config;
    if (!config.contains(id)) return fail("not_found", `${id} is not a member`, { definite: true });
    if (!force && config.isVoter(id)) {
      const problem = this.#quorumProblem(config, id);
      if (problem !== null) return fail("quorum_at_risk", problem, { definite: true });
    }
    const next = config.isVoter(id)
      ? config.toJointConsensus([], [id])
      : config.with({ nonVoters: config.nonVoters.filter((n) => n !== id) });
    const outcome = await this.#change(this.#rt.proposeConfig(next), (c) => !c.contains(id));
    if (outcome !== null) return outcome;
    this.#rt.logger.info(`removed ${id}`, { event: "member_removed", id, force });
    return { ok: true, changed: true, members: this.list() };
  }

  /** Hands leadership to voter `to`, or to the most caught-up voter; answers once the new leader is known. */
  async transfer(to: NodeId | undefined): Promise<LeaderChange | ServiceError> {
    const node = this.#rt.node;
    if (node.role !== "leader") return this.#notLeader();
    const target = to ?? this.#mostCaughtUpVoter();
    if (target === undefined)
      return fail("invalid_request", "there is no other voter to hand leadership to", { definite: true });
    if (target === this.#self.id) return { ok: true, leader: this.#self, term: node.currentTerm };
    const result = this.#rt.transferLeadership(target);
    if (!result.ok) {
      if (result.reason === "not_leader") return this.#notLeader();
      return fail(result.reason === "unknown_target" ? "not_found" : "invalid_request", result.detail, {
        definite: true,
      });
    }
    const moved = await this.#rt.waitUntil(() => {
      const leader = this.#rt.node.leaderId;
      return leader !== null && leader !== this.#self.id;
    }, this.#settings.changeTimeoutMs);
    const leader = this.#rt.node.leaderId;
    const term = this.#rt.node.currentTerm;
    const outcome = moved && leader !== null ? "moved" : "timeout";
    const fields = { event: "leader_transfer", target, leader, term, outcome } as const;
    this.#rt.logger.info(`leadership transfer to ${target}: ${outcome} (leader ${leader ?? "unknown"})`, fields);
    if (!moved || leader === null) {
      return fail("timeout", `leadership did not move to ${target} within ${this.#settings.changeTimeoutMs} ms`, {
        definite: false,
      });
    }
    return { ok: true, leader: { id: leader, url: this.#rt.urlOf(leader) ?? "" }, term };
  }

  /** Stops the promotion checks. */
  stop(): void {
    if (this.#timer !== null) this.#clock.clearTimeout(this.#timer);
    this.#timer = null;
    this.#pending.clear();
  }

  // ------------------------------------------------------------ internals

  /**
   * Waits for the change `result` proposed: until the latest configuration is committed, not
   * joint, and satisfies `done`. Null on success, else the error to answer.
   */
  async #change(result: ProposeResult, done: (config: ClusterConfig) => boolean): Promise<ServiceError | null> {
    if (!result.ok) return result.reason === "not_leader" ? this.#notLeader() : refusalError(result);
    const finished = () => {
      const node = this.#rt.node;
      const config = node.config;
      return !config.isJoint && node.commitIndex >= node.log.latestConfigIndex() && done(config);
    };
    if (await this.#rt.waitUntil(finished, this.#settings.changeTimeoutMs)) return null;
    const message = `the configuration change was proposed but did not complete within ${this.#settings.changeTimeoutMs} ms (it may still)`;
    return fail("timeout", message, { definite: false });
  }

  /**
   * Waits (bounded) until this leader may propose a configuration change: none is under way, no
   * transfer is, and it committed an entry of its term. Operations queue behind each other this
   * way instead of being refused; after the wait, checking and proposing happen in one step.
   */
  async #waitIdle(): Promise<ServiceError | null> {
    const idle = () => {
      const node = this.#rt.node;
      if (node.role !== "leader") return true; // The proposal answers not_leader.
      const config = node.config;
      if (config.isJoint || node.commitIndex < node.log.latestConfigIndex() || node.leadTransferee !== null) {
        return false;
      }
      return node.log.entries.getTerm(node.commitIndex) === node.currentTerm;
    };
    if (await this.#rt.waitUntil(idle, this.#settings.changeTimeoutMs)) return null;
    const message = `another configuration change or a leadership transfer did not finish within ${this.#settings.changeTimeoutMs} ms; retry later`;
    return fail("change_in_progress", message, { definite: true });
  }

  #expectPromotion(id: NodeId): void {
    if (this.#pending.size >= MAX_PENDING_PROMOTIONS) return; // Bounded: promote the rest explicitly.
    this.#pending.add(id);
    this.#schedule();
  }

  #schedule(): void {
    if (this.#timer !== null || this.#pending.size === 0 || this.#rt.stopped) return;
    this.#timer = this.#clock.setTimeout(() => {
      this.#timer = null;
      this.#promoteCaughtUp();
      this.#schedule();
    }, PROMOTION_CHECK_MS);
  }

  /** On the leader: proposes the promotion of one caught-up learner that waits for it. */
  #promoteCaughtUp(): void {
    const node = this.#rt.node;
    if (node.role !== "leader") return; // Only the leader promotes; the wish stays until we lead again.
    const config = node.config;
    for (const id of [...this.#pending]) {
      if (!config.nonVoters.includes(id)) {
        if (!config.contains(id) || (config.isVoter(id) && !config.isJoint)) this.#pending.delete(id);
        if (config.isVoter(id) && !config.isJoint) {
          this.#rt.logger.info(`promoted ${id} to voter once caught up`, { event: "member_promoted", id, auto: true });
        }
        continue;
      }
      const result = this.#rt.promoteLearner(id, this.#settings.promoteLag);
      if (result.ok) return; // One change at a time; the next check takes the next learner.
    }
  }

  /**
   * True iff the members the leader heard from within an election timeout (itself included) form
   * a quorum of `voters`; null on a node that does not lead (it cannot tell).
   */
  reachableQuorum(voters?: readonly NodeId[]): boolean | null {
    const node = this.#rt.node;
    if (node.role !== "leader") return null;
    const reachable = new Set(this.list().flatMap((m) => (m.reachable === true ? [m.id as NodeId] : [])));
    return voters === undefined ? hasJointMajority(node.config, reachable) : hasMajority(voters, reachable);
  }

  /** The reason removing voter `id` could leave no reachable quorum, or null. */
  #quorumProblem(config: ClusterConfig, id: NodeId): string | null {
    const remaining = (config.isJoint ? config.newVoters : config.voters).filter((v) => v !== id);
    if (remaining.length === 0) return `removing ${id} would leave no voter`;
    if (this.reachableQuorum(remaining) !== false) return null;
    const up = this.list().filter((m) => m.reachable === true && remaining.includes(m.id as NodeId)).length;
    const voters = remaining.length === 1 ? "1 voter" : `${remaining.length} voters`;
    const reachable = up === 1 ? "1 is reachable" : `${up} are reachable`;
    return `removing ${id} would leave ${voters} of which ${reachable}, fewer than a quorum of ${Math.floor(remaining.length / 2) + 1}; add ?force=true to remove it anyway`;
  }

  #mostCaughtUpVoter(): NodeId | undefined {
    const config = this.#rt.node.config;
    const voters = new Set<string>(config.isJoint ? config.newVoters : config.voters);
    const candidates = this.#rt.progress().filter((p) => voters.has(p.id) && p.voter);
    candidates.sort((a, b) => b.matchIndex - a.matchIndex || (a.lastContactMs ?? 1e15) - (b.lastContactMs ?? 1e15));
    return candidates[0]?.id;
  }
}

/** The service error for a refused configuration change (nothing was proposed). */
function refusalError(result: ProposeRefusal): ServiceError {
  switch (result.reason) {
    case "learner_behind":
      return fail("learner_behind", result.detail, { definite: true });
    case "config_change_in_progress":
    case "leader_not_ready":
    case "transfer_in_progress":
      return fail("change_in_progress", result.detail, { definite: true });
    default:
      return fail("invalid_request", result.detail, { definite: true });
  }
}
