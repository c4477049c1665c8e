/**
 * The pack rules of each package in the repository, by folder (relative to the repository root).
 * `scripts/check_pack.ts <folder>` applies them; CI checks every package listed here.
 */
import type { PackRules } from "./rules.ts";

/** The core: built JavaScript and declarations only, no dependencies. */
const CORE_RULES: PackRules = {
  require: ["dist/mod.js", "dist/mod.d.ts", "dist/node.js", "dist/node.d.ts"],
  only: ["dist/*.js", "dist/*.d.ts"],
  allowTs: [],
  maxUnpackedBytes: 256 * 1024,
  maxPackedBytes: 64 * 1024,
  maxFiles: 60,
  noDependencies: true,
};

/** The client: built JavaScript and declarations and its README; openapi-fetch is its one dependency. */
const CLIENT_RULES: PackRules = {
  require: ["dist/mod.js", "dist/mod.d.ts", "dist/raft_client.js", "dist/api_types.d.ts", "README.md"],
  only: ["dist/*.js", "dist/*.d.ts"],
  allowTs: [],
  maxUnpackedBytes: 512 * 1024,
  maxPackedBytes: 128 * 1024,
  maxFiles: 60,
  noDependencies: false,
};

/** Pack rules by package folder. */
export const PACKAGE_RULES: Readonly<Record<string, PackRules>> = {
  "packages/core": CORE_RULES,
  client: CLIENT_RULES,
};
