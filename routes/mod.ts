/**
 * Every route of the HTTP API, registered in the order they are documented, and the node's HTTP
 * app built from them (src/http holds the plumbing and never imports this folder).
 */
import {
  type BuildOpenApiDocumentOptions,
  buildApiDocument,
  createApiApp,
  type HttpAppOptions,
  type RouteSet,
} from "../src/http/http_app.ts";
import type { ApiApp } from "../src/http/http_context.ts";
import type { OpenApiDocument } from "../src/http/openapi_document.ts";
import type { NodeService } from "../src/server/service.ts";
import { registerDocsAsset } from "./docs_asset.ts";
import { registerDocsPage } from "./docs_page.ts";
import { registerLivez } from "./livez.ts";
import { registerReadyz } from "./readyz.ts";
import { registerStaticAssets } from "./static_assets.ts";
import { registerUiPage } from "./ui_page.ts";
import { registerBootstrapCluster } from "./v1_cluster_bootstrap.ts";
import { registerDeleteKey } from "./v1_kv_delete.ts";
import { registerGetKey } from "./v1_kv_get.ts";
import { registerListKeys } from "./v1_kv_list.ts";
import { registerPutKey } from "./v1_kv_put.ts";
import { registerTransferLeader } from "./v1_leader_transfer.ts";
import { registerAddMember } from "./v1_members_add.ts";
import { registerListMembers } from "./v1_members_list.ts";
import { registerPromoteMember } from "./v1_members_promote.ts";
import { registerRemoveMember } from "./v1_members_remove.ts";
import { registerDownloadSnapshot } from "./v1_snapshot_get.ts";
import { registerTakeSnapshot } from "./v1_snapshot_post.ts";
import { registerGetStatus } from "./v1_status_get.ts";

/** Adds every API operation to `app` (the OpenAPI document lists them in this order). */
export function registerApiRoutes(app: ApiApp): void {
  registerBootstrapCluster(app);
  registerGetStatus(app);
  registerListMembers(app);
  registerAddMember(app);
  registerPromoteMember(app);
  registerRemoveMember(app);
  registerTransferLeader(app);
  registerPutKey(app);
  registerGetKey(app);
  registerDeleteKey(app);
  registerListKeys(app);
  registerTakeSnapshot(app);
  registerDownloadSnapshot(app);
  registerLivez(app);
  registerReadyz(app);
}

/**
 * Adds the Swagger UI page, its initializer, the dashboard's headers and every file served as it is
 * (the dashboard's among them) to `app` (not API operations).
 */
export function registerDocsRoutes(app: ApiApp): void {
  registerDocsPage(app);
  registerDocsAsset(app);
  registerUiPage(app);
  registerStaticAssets(app);
}

/** Every route of this API. */
export const API_ROUTES: RouteSet = { api: registerApiRoutes, docs: registerDocsRoutes };

/** The HTTP app of `service`: every route, leader forwarding, auth and error envelopes. */
export function createHttpApp(service: NodeService, options: HttpAppOptions): ApiApp {
  return createApiApp(service, API_ROUTES, options);
}

/** The OpenAPI document of this API, built without a running node (for dumps and client generation). */
export function buildOpenApiDocument(options: BuildOpenApiDocumentOptions = {}): OpenApiDocument {
  return buildApiDocument(API_ROUTES, options);
}
