/** Every route of the HTTP API, registered in the order they are documented. */
import type { ApiApp } from "../src/server/http_context.ts";
import { registerDocsAsset } from "./docs_asset.ts";
import { registerDocsPage } from "./docs_page.ts";
import { registerLivez } from "./livez.ts";
import { registerReadyz } from "./readyz.ts";
import { registerBootstrapCluster } from "./v1_cluster_bootstrap.ts";
import { registerDeleteKey } from "./v1_kv_delete.ts";
import { registerGetKey } from "./v1_kv_get.ts";
import { registerListKeys } from "./v1_kv_list.ts";
import { registerPutKey } from "./v1_kv_put.ts";
import { registerGetStatus } from "./v1_status_get.ts";

/** Adds every API operation to `app` (the OpenAPI document lists them in this order). */
export function registerApiRoutes(app: ApiApp): void {
  registerBootstrapCluster(app);
  registerGetStatus(app);
  registerPutKey(app);
  registerGetKey(app);
  registerDeleteKey(app);
  registerListKeys(app);
  registerLivez(app);
  registerReadyz(app);
}

/** Adds the Swagger UI page and its files to `app` (not API operations). */
export function registerDocsRoutes(app: ApiApp): void {
  registerDocsPage(app);
  registerDocsAsset(app);
}
