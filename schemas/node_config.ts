/** The node process's configuration, validated at startup from flags and environment variables. */
import { z } from "zod";

/** A node id: 1–64 characters of letters, digits, `.`, `_` and `-`. */
export const NodeIdSchema = z
  .string()
  .min(1)
  .max(64)
  .regex(/^[A-Za-z0-9._-]+$/, "use letters, digits, '.', '_' and '-'");

/** An absolute http(s) URL, without trailing slashes. */
export const HttpUrl = z
  .string()
  .url()
  .refine((u) => /^https?:\/\//.test(u), "must be an http(s) URL")
  .transform((u) => u.replace(/\/+$/, ""));

const Member = z.object({ id: NodeIdSchema, url: HttpUrl });

/** `id=url,id=url` → `{ id, url }` entries (at least one). */
const IdUrlList = z
  .string()
  .transform((s, ctx) => {
    const out: Array<{ id: string; url: string }> = [];
    for (const part of s.split(",").filter((p) => p.trim() !== "")) {
      const eq = part.indexOf("=");
      const parsed = Member.safeParse({ id: part.slice(0, eq).trim(), url: part.slice(eq + 1).trim() });
      if (eq <= 0 || !parsed.success) {
        ctx.addIssue({ code: "custom", message: `expected id=url, got '${part}'` });
        return z.NEVER;
      }
      out.push(parsed.data);
    }
    return out;
  })
  .pipe(z.array(Member).min(1));

/** `id=url,id=url` → members. */
const MemberList = IdUrlList;

/** `id=url,…` → the peers dialed through another address (`--peer-via`); each id at most once. */
const PeerViaList = IdUrlList.refine((list) => new Set(list.map((e) => e.id)).size === list.length, {
  message: "names a peer more than once; give each peer one address",
});

/** `host:port` → `{ hostname, port }`. */
export const Listen = z
  .string()
  .regex(/^[^:\s]+:\d{1,5}$/, "expected host:port")
  .transform((s) => {
    const i = s.lastIndexOf(":");
    return { hostname: s.slice(0, i), port: Number(s.slice(i + 1)) };
  })
  .refine((l) => l.port >= 0 && l.port <= 65535, "port must be 0..65535");

/** The characters of a bearer token (RFC 6750 `b64token`). */
const TOKEN_CHARS = /^[A-Za-z0-9._~+/=-]+$/;
const TOKEN_CHARS_MESSAGE = "use letters, digits and '.', '_', '~', '+', '/', '=', '-' (a bearer token)";

/** `true` or `false` (default `fallback`) → a boolean. */
const trueFalse = (fallback: boolean) =>
  z
    .enum(["true", "false"], { error: "expected true or false" })
    .default(fallback ? "true" : "false")
    .transform((v) => v === "true");

const Millis = (min: number, max: number, fallback: number) =>
  z.coerce.number().int().min(min).max(max).default(fallback);

/** The schema of the node configuration (all values are strings before coercion). */
export const NodeConfigSchema = z
  .object({
    id: NodeIdSchema,
    listen: Listen.default({ hostname: "127.0.0.1", port: 7001 }),
    advertiseUrl: HttpUrl.optional(),
    /** PEM certificate (chain) and private key: serve https and wss (both or neither). */
    tlsCertFile: z.string().min(1).optional(),
    tlsKeyFile: z.string().min(1).optional(),
    /** PEM bundle of CA certificates this node trusts as a client (peer links, forwarding, join). */
    tlsCaFile: z.string().min(1).optional(),
    dataDir: z.string().min(1).optional(),
    clusterToken: z.string().min(8, "the cluster token must be at least 8 characters"),
    /** The bearer token of every `/v1` operation. */
    adminToken: z
      .string()
      .min(16, "the admin token must be at least 16 characters")
      .regex(TOKEN_CHARS, TOKEN_CHARS_MESSAGE)
      .optional(),
    /** A bearer token for reads only (not the snapshot download). */
    readToken: z
      .string()
      .min(16, "the read-only token must be at least 16 characters")
      .regex(TOKEN_CHARS, TOKEN_CHARS_MESSAGE)
      .optional(),
    /** Serve `/v1` without any token: anyone who reaches the port may read and write. */
    insecureNoAuth: trueFalse(false),
    bootstrap: MemberList.optional(),
    /** Peers this node dials through another address than their member URL (a NAT, a proxy, a relay). */
    peerVia: PeerViaList.optional(),
    /** Any member's URL: ask that cluster to add this node (harmless once it is a member). */
    join: HttpUrl.optional(),
    repair: trueFalse(false),
    /** Stop (as on SIGTERM) once the process that started this node has exited. */
    exitWithParent: trueFalse(false),
    /** Pre-vote (Raft thesis §9.6): a node that cannot win an election never raises its term. */
    preVote: trueFalse(true),
    /** Check-quorum: a leader without a quorum steps down; voters stick to a leader they hear from. */
    checkQuorum: trueFalse(true),
    electionTimeoutMs: Millis(20, 60_000, 1000),
    heartbeatMs: Millis(5, 30_000, 100),
    snapshotEvery: z.coerce.number().int().min(2).max(100_000_000).default(10_000),
    maxPendingProposals: z.coerce.number().int().min(1).max(1_000_000).default(4096),
    maxPendingReads: z.coerce.number().int().min(1).max(1_000_000).default(4096),
    /** API requests served at once; more are answered 503 overloaded. */
    maxConcurrentRequests: z.coerce.number().int().min(1).max(1_000_000).default(1024),
    requestTimeoutMs: Millis(10, 600_000, 5000),
    logLevel: z.enum(["debug", "info", "warn", "error"]).default("info"),
    /** Comma-separated origins whose pages may call the API from a browser (CORS), or `*`. */
    corsOrigin: z
      .string()
      .transform((s) =>
        s
          .split(",")
          .map((o) => o.trim())
          .filter((o) => o !== ""),
      )
      .refine((list) => list.every((o) => o === "*" || /^https?:\/\/[^/]+$/.test(o)), {
        message: "expected '*' or origins like https://app.example (scheme and host, no path), separated by commas",
      })
      .optional(),
    /** `text` lines, or `json`: one object per line. */
    logFormat: z.enum(["text", "json"]).default("text"),
  })
  .refine((c) => c.adminToken !== undefined || c.insecureNoAuth, {
    message:
      "the API needs a token: give --admin-token-file <file> (or RAFT_ADMIN_TOKEN), or --insecure-no-auth true to serve /v1 to anyone",
    path: ["adminToken"],
  })
  .refine((c) => !(c.adminToken !== undefined && c.insecureNoAuth), {
    message: "--insecure-no-auth true and an admin token contradict each other; give one",
    path: ["insecureNoAuth"],
  })
  .refine((c) => c.readToken === undefined || c.adminToken !== undefined, {
    message: "a read-only token needs an admin token beside it",
    path: ["readToken"],
  })
  .refine((c) => c.readToken === undefined || c.readToken !== c.adminToken, {
    message: "the read-only token must differ from the admin token",
    path: ["readToken"],
  })
  .refine((c) => c.heartbeatMs * 2 <= c.electionTimeoutMs, {
    message: "heartbeatMs must be at most half of electionTimeoutMs",
    path: ["heartbeatMs"],
  })
  .refine((c) => !(c.peerVia ?? []).some((e) => e.id === c.id), {
    message: "names this node itself; give the addresses of other peers",
    path: ["peerVia"],
  })
  .refine((c) => c.tlsCertFile === undefined || c.tlsKeyFile !== undefined, {
    message: "required with --tls-cert-file (give both or neither)",
    path: ["tlsKeyFile"],
  })
  .refine((c) => c.tlsKeyFile === undefined || c.tlsCertFile !== undefined, {
    message: "required with --tls-key-file (give both or neither)",
    path: ["tlsCertFile"],
  })
  .transform((c) => ({
    ...c,
    advertiseUrl: c.advertiseUrl ?? `${c.tlsCertFile ? "https" : "http"}://${c.listen.hostname}:${c.listen.port}`,
    dataDir: c.dataDir ?? `data/${c.id}`,
  }));

/** A validated node configuration. */
export type NodeConfig = z.output<typeof NodeConfigSchema>;

/** Flag and environment names of every setting: `--cluster-token` / `RAFT_CLUSTER_TOKEN`. */
export const CONFIG_KEYS = [
  "id",
  "listen",
  "advertiseUrl",
  "tlsCertFile",
  "tlsKeyFile",
  "tlsCaFile",
  "dataDir",
  "clusterToken",
  "clusterTokenFile",
  "adminToken",
  "adminTokenFile",
  "readToken",
  "readTokenFile",
  "insecureNoAuth",
  "bootstrap",
  "peerVia",
  "join",
  "repair",
  "exitWithParent",
  "preVote",
  "checkQuorum",
  "electionTimeoutMs",
  "heartbeatMs",
  "snapshotEvery",
  "maxPendingProposals",
  "maxPendingReads",
  "maxConcurrentRequests",
  "requestTimeoutMs",
  "logLevel",
  "logFormat",
  "corsOrigin",
] as const;
