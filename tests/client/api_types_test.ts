/**
 * The client's committed API types (`client/src/api_types.ts`) must equal a fresh generation from the
 * committed `openapi.json` (set UPDATE_API_TYPES=1 to rewrite them).
 */
import { describe, expect, it } from "bun:test";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import process from "node:process";
import { formatLikeCommitted, generateApiTypes } from "../helpers/api_types_codegen.ts";
import { REPO_ROOT } from "../helpers/process_cluster.ts";

/** The committed types, relative to the repository root. */
const TYPES_FILE = "client/src/api_types.ts";

describe("client/src/api_types.ts", () => {
  it("equals the types openapi-typescript generates from the committed openapi.json", async () => {
    const document = JSON.parse(readFileSync(join(REPO_ROOT, "openapi.json"), "utf8"));
    const formatted = formatLikeCommitted(await generateApiTypes(document), TYPES_FILE);
    for (const operation of ["putKey", "getKey", "deleteKey", "listKeys", "getStatus", "addMember", "readyz"]) {
      expect(formatted).toContain(`${operation}: {`);
    }
    if (process.env.UPDATE_API_TYPES === "1") writeFileSync(join(REPO_ROOT, TYPES_FILE), formatted);
    expect(formatted).toBe(readFileSync(join(REPO_ROOT, TYPES_FILE), "utf8"));
  });
});
