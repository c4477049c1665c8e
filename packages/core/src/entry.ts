/** Log entries: term markers, configurations and opaque user commands. */
import type { ClusterConfig } from "./config.ts";
import type { Term } from "./ids.ts";

/** A command's data. The core never looks inside it; it is stored and sent as given. */
export type Payload = Uint8Array | string;

/**
 * One log entry. A `term` entry starts every leader's term (it is Raft's no-op entry) and sets the
 * term of the entries after it; `config` carries a membership configuration; `command` carries user data.
 */
export type LogEntry =
  | { readonly kind: "term"; readonly term: Term }
  | { readonly kind: "config"; readonly config: ClusterConfig }
  | { readonly kind: "command"; readonly data: Payload };

/** Constructors for {@link LogEntry}. */
export const LogEntry: {
  /** The entry a new leader appends first in its term. */
  term(term: Term): LogEntry;
  /** A membership configuration entry. */
  config(config: ClusterConfig): LogEntry;
  /** A user command carrying an opaque payload. */
  command(data: Payload): LogEntry;
} = {
  term(term: Term): LogEntry {
    return { kind: "term", term };
  },
  config(config: ClusterConfig): LogEntry {
    return { kind: "config", config };
  },
  command(data: Payload): LogEntry {
    return { kind: "command", data };
  },
};
