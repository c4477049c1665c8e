/**
 * What the dashboard knows from its polls: the latest good answers of `GET /v1/status` and
 * `GET /v1/cluster/members`, who served them and when, and the latest errors. Pure: each poll's
 * results fold into a new state.
 */
import type { ClientError, ClientResult, Members, MemberView, NodeStatus } from "./api.ts";

/** A good answer and where and when it came from. */
export interface Answer<T> {
  readonly value: T;
  /** The node that produced it (the `x-raft-served-by` header), if known. */
  readonly servedBy: string | null;
  /** When the answer arrived (ms since the epoch). */
  readonly at: number;
}

/** The dashboard's knowledge after some polls. */
export interface PollState {
  /** How many status polls finished. */
  readonly polls: number;
  /** When the latest status poll finished, or null before the first. */
  readonly lastPollAt: number | null;
  /** The latest good status of the node serving the page. */
  readonly status: Answer<NodeStatus> | null;
  /** The error of the latest status poll, or null when it succeeded. */
  readonly statusError: ClientError | null;
  /** The latest good member list (served by the leader). */
  readonly members: Answer<readonly MemberView[]> | null;
  /** The error of the latest member poll, or null when it succeeded. */
  readonly membersError: ClientError | null;
}

/** The state before any poll. */
export const INITIAL_POLL_STATE: PollState = {
  polls: 0,
  lastPollAt: null,
  status: null,
  statusError: null,
  members: null,
  membersError: null,
};

/** The results of one poll. */
export interface PollResults {
  readonly status: ClientResult<NodeStatus>;
  readonly members: ClientResult<Members>;
  /** When both had settled. */
  readonly at: number;
}

/** `state` after one more status answer: a good one replaces the last, an error is kept next to it. */
export function foldStatus(state: PollState, status: ClientResult<NodeStatus>, at: number): PollState {
  return {
    ...state,
    polls: state.polls + 1,
    lastPollAt: at,
    status: status.ok ? { value: status.value, servedBy: status.servedBy, at } : state.status,
    statusError: status.ok ? null : status.error,
  };
}

/** `state` after one more member list answer, likewise. */
export function foldMembers(state: PollState, members: ClientResult<Members>, at: number): PollState {
  return {
    ...state,
    members: members.ok ? { value: members.value.members, servedBy: members.servedBy, at } : state.members,
    membersError: members.ok ? null : members.error,
  };
}

/** `state` after one more poll of both. */
export function foldPoll(state: PollState, results: PollResults): PollState {
  return foldMembers(foldStatus(state, results.status, results.at), results.members, results.at);
}
