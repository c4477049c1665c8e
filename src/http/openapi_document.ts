/** The OpenAPI 3.1 document of the HTTP API: metadata, servers, tags and the admin-token scheme. */
import type { ApiApp } from "./http_context.ts";

/** The OpenAPI document type this API produces. */
export type OpenApiDocument = ReturnType<ApiApp["getOpenAPI31Document"]>;

/** Version of the HTTP API description (follows the package version). */
export const API_VERSION = "0.1.0";

/** Name of the bearer security scheme that guards mutating operations when an admin token is set. */
export const ADMIN_TOKEN_SCHEME = "adminToken";

/** A server entry of the document. */
export interface OpenApiServer {
  readonly url: string;
  readonly description?: string;
}

/** What the document depends on. */
export interface OpenApiDocumentOptions {
  /** Where the API is served. */
  readonly servers: readonly OpenApiServer[];
  /** True when mutating operations require the admin bearer token. */
  readonly adminToken: boolean;
}

const DESCRIPTION = `A node of a raftbare-ts Raft cluster: a replicated key-value store and cluster administration.

- Send JSON bodies with \`content-type: application/json\` (\`curl --json '{"value":"on"}' -X PUT …\`).
- Keys travel in the path percent-encoded (\`encodeURIComponent\`), so \`app/config\` is \`/v1/kv/app%2Fconfig\`.
- Writes and \`linearizable\`/\`leader\` reads need the leader: a follower forwards them, or answers 307 to the leader with \`redirect=true\`.
- Every error is \`{ "error": { "code", "message", "details"?, "definite"? } }\`. On writes, \`definite: true\` means the write certainly did not take effect; \`definite: false\` (after a timeout) means it may have.
- Successful KV answers carry \`x-raft-index\` (the log index they reflect) and \`x-raft-term\`.`;

const TAGS = [
  { name: "cluster", description: "Create the cluster and inspect this node" },
  { name: "kv", description: "The replicated key-value store" },
  { name: "snapshot", description: "Snapshots of this node's state, and backups" },
  { name: "health", description: "Liveness and readiness probes" },
];

/** Methods whose operations change state (guarded by the admin token when one is set). */
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
  return options.adminToken ? withAdminSecurity(doc) : withoutSecurity(doc);
}

/**
 * `doc` with the bearer scheme, required by every mutating operation and by the reads whose route
 * declares it (admin-only reads), and by no other.
 */
function withAdminSecurity(doc: OpenApiDocument): OpenApiDocument {
  const securitySchemes = {
    ...doc.components?.securitySchemes,
    [ADMIN_TOKEN_SCHEME]: {
      type: "http" as const,
      scheme: "bearer",
      description: "The node's admin token, required by every operation that changes state",
    },
  };
  for (const item of Object.values(doc.paths ?? {})) {
    for (const [method, operation] of Object.entries(item)) {
      if (typeof operation !== "object" || operation === null || !("responses" in operation)) continue;
      const adminOnly = operation.security?.some((s: Record<string, string[]>) => ADMIN_TOKEN_SCHEME in s) ?? false;
      operation.security = MUTATING_METHODS.has(method) || adminOnly ? [{ [ADMIN_TOKEN_SCHEME]: [] }] : [];
    }
  }
  return { ...doc, components: { ...doc.components, securitySchemes } };
}

/** `doc` without any operation's own security (a node without an admin token requires none). */
function withoutSecurity(doc: OpenApiDocument): OpenApiDocument {
  for (const item of Object.values(doc.paths ?? {})) {
    for (const operation of Object.values(item)) {
      if (typeof operation === "object" && operation !== null && "security" in operation) delete operation.security;
    }
  }
  return { ...doc, security: [] };
}
