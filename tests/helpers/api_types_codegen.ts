/**
 * Generates TypeScript types from an OpenAPI document exactly as the `openapi-typescript` command
 * line writes them, formatted by the project's formatter, for the tests that keep committed type
 * files equal to what the document says.
 */
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import openapiTS, { astToString, COMMENT_HEADER } from "openapi-typescript";
import { REPO_ROOT } from "./process_cluster.ts";

/** Types generated from `document` as `openapi-typescript --default-non-nullable false` writes them (header included). */
export async function generateApiTypes(document: unknown): Promise<string> {
  const ast = await openapiTS(document as Parameters<typeof openapiTS>[0], { defaultNonNullable: false });
  return COMMENT_HEADER + astToString(ast);
}

/** `text` formatted by the project's formatter as if it were the file `file` (relative to the repository root). */
export function formatLikeCommitted(text: string, file: string): string {
  const bin = join(REPO_ROOT, "node_modules", ".bin", "biome");
  const args = ["format", `--stdin-file-path=${file}`];
  const result = spawnSync(bin, args, { cwd: REPO_ROOT, input: text, encoding: "utf8", timeout: 30_000 });
  if (result.status !== 0) throw new Error(`formatting the generated types failed: ${result.stderr}`);
  return result.stdout;
}
