/** The OpenAPI 3.1 document of the HTTP API: metadata, servers, tags and the bearer-token scheme. */
import { AUTH_ERROR_DESCRIPTIONS } from "../../schemas/api_errors.ts";
import { ADMIN_SECURITY, BEARER_SCHEME, NO_SECURITY, READ_SECURITY } from "./api_auth.ts";
import type { ApiApp } from "./http_context.ts";

/** The OpenAPI document type this API produces. */
export type OpenApiDocument = ReturnType<ApiApp["getOpenAPI31Document"]>;

/** Version of the HTTP API description (follows the package version). */
export const API_VERSION = "0.1.0";

/** A server entry of the document. */
export interface OpenApiServer {
  readonly url: string;
  readonly description?: string;
}

/** What the document depends on. */
export interface OpenApiDocumentOptions {
  /** Where the API is served. */
  readonly servers: readonly OpenApiServer[];
  /** True when `/v1` operations require a bearer token (false: a node started without tokens). */
  readonly tokens: boolean;
}

const DESCRIPTION = `A node of a raftbare-ts Raft cluster: a replicated key-value store and cluster administration.

- Send JSON bodies with \`content-type: application/json\` (\`curl --json '{"value":"on"}' -X PUT …\`).
- Keys travel in the path percent-encoded (\`encodeURIComponent\`), so \`app/config\` is \`/v1/kv/app%2Fconfig\`.
- Writes and \`linearizable\`/\`leader\` reads need the leader: a follower forwards them, or answers 307 to the leader with \`redirect=true\`.
- Every \`/v1\` request needs \`authorization: Bearer <token>\`: the admin token, or the read-only token for reads (\`npm start\` keeps them in \`data/admin-token\` and \`data/read-token\`); health probes and this document need none.
- Every error is \`{ "error": { "code", "message", "details"?, "definite"? } }\`. On writes, \`definite: true\` means the write certainly did not take effect; \`definite: false\` (after a timeout) means it may have.
- Writes are exactly-once with an \`Idempotency-Key\` header: a retry with the same key answers the first result (\`Idempotent-Replayed: true\`) and changes nothing, so a write that failed with \`definite: false\` can be retried safely.
- Successful KV answers carry \`x-raft-index\` (the log index they reflect) and \`x-raft-term\`.`;

const TAGS = [
  { name: "cluster", description: "Create the cluster and inspect this node" },
  { name: "kv", description: "The replicated key-value store" },
  { name: "snapshot", description: "Snapshots of this node's state, and backups" },
  { name: "health", description: "Liveness and readiness probes" },
];

/** Methods whose operations change state (only the admin token may call them). */
const MUTATING_METHODS = new Set(["post", "put", "patch", "delete"]);

/** Builds the document of the operations registered on `app`. */
export function openApiDocument(app: ApiApp, options: OpenApiDocumentOptions): OpenApiDocument {
  const doc = app.getOpenAPI31Document({
    openapi: "3.1.0",
    info: {
      title: "raftbare-ts node API",
      version: API_VERSION,
      description: DESCRIPTION,
      license: { name: "MIT", url: "https://spdx.org/licenses/MIT.html" },
    },
    servers: options.servers.map((s) => ({ ...s })),
    tags: TAGS,
  });
  return options.tokens ? withBearerSecurity(doc) : withoutSecurity(doc);
}

/**
 * `doc` with the bearer scheme on every `/v1` operation: the admin role on mutating operations and
 * on the reads whose route declares {@link ADMIN_SECURITY}, any token on the other reads, and no
 * security outside `/v1` (health probes). Every secured operation documents 401, admin ones 403.
 */
function withBearerSecurity(doc: OpenApiDocument): OpenApiDocument {
  const securitySchemes = {
    ...doc.components?.securitySchemes,
    [BEARER_SCHEME]: {
      type: "http" as const,
      scheme: "bearer",
      description:
        "The node's admin token (every operation), or its read-only token (reads other than the snapshot download). " +
        "`npm start` keeps them in `data/admin-token` and `data/read-token`.",
    },
  };
  for (const [path, item] of Object.entries(doc.paths ?? {})) {
    for (const [method, operation] of Object.entries(item)) {
      if (typeof operation !== "object" || operation === null || !("responses" in operation)) continue;
      if (!path.startsWith("/v1/") && path !== "/v1") {
        operation.security = NO_SECURITY;
        continue;
      }
      const adminOnly =
        operation.security?.some((s: Record<string, string[]>) => s[BEARER_SCHEME]?.includes("admin")) ?? false;
      const admin = MUTATING_METHODS.has(method) || adminOnly;
      operation.security = admin ? ADMIN_SECURITY : READ_SECURITY;
      const responses: Record<string, unknown> = { ...operation.responses };
      responses["401"] = authResponse(401);
      if (admin) responses["403"] = authResponse(403);
      const byStatus = Object.keys(responses).sort();
      const withAuth = Object.fromEntries(byStatus.map((status) => [status, responses[status]]));
      operation.responses = withAuth as typeof operation.responses;
    }
  }
  return { ...doc, security: READ_SECURITY, components: { ...doc.components, securitySchemes } };
}

/** A response object of the token check, with the error envelope (the document's `Error` schema). */
function authResponse(status: keyof typeof AUTH_ERROR_DESCRIPTIONS) {
  const schema = { $ref: "#/components/schemas/Error" };
  return { description: AUTH_ERROR_DESCRIPTIONS[status], content: { "application/json": { schema } } };
}

/** `doc` without any operation's own security (a node started without tokens requires none). */
function withoutSecurity(doc: OpenApiDocument): OpenApiDocument {
  for (const item of Object.values(doc.paths ?? {})) {
    for (const operation of Object.values(item)) {
      if (typeof operation === "object" && operation !== null && "security" in operation) delete operation.security;
    }
  }
  return { ...doc, security: [] };
}
