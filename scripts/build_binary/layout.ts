/** Where the single executable is built, and the files it is built from. */
import { join } from "node:path";
import { fileURLToPath } from "node:url";

/** The repository root. */
export const REPO_ROOT = fileURLToPath(new URL("../../", import.meta.url));

/** Where `scripts/build_binary.ts` writes the executable, relative to the repository root (the Dockerfile copies it from here). */
export const BINARY_PATH = "dist/raftbare-ts-node";

/** The node's entry point, which the executable runs. */
export const NODE_ENTRY = join(REPO_ROOT, "src", "main.ts");

/** The module that embeds the static assets (the executable's entry imports it before the node). */
export const STATIC_ASSETS_MODULE = join(REPO_ROOT, "src", "http", "static_assets.ts");
