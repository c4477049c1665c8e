/**
 * Writes the OpenAPI 3.1 document of the node API to a file, without starting a node.
 *
 *   bun scripts/dump_openapi.ts openapi.json [--insecure-no-auth] [--server http://host:port]
 *
 * The document declares the bearer tokens on every `/v1` operation, as a node serves it;
 * `--insecure-no-auth` leaves them out (as a node started without tokens serves it). Feed the file
 * to a linter or a client generator.
 */
import { writeFileSync } from "node:fs";
import { buildOpenApiDocument } from "../routes/mod.ts";
import type { BuildOpenApiDocumentOptions } from "../src/http/http_app.ts";

/** Writes the document to `path` as indented JSON with a final newline. */
export function writeOpenApiDocument(path: string, options: BuildOpenApiDocumentOptions = {}): void {
  writeFileSync(path, `${JSON.stringify(buildOpenApiDocument(options), null, 2)}\n`);
}

const USAGE = "usage: dump_openapi.ts <output.json> [--insecure-no-auth] [--server http(s)://host:port]";

/** Parses the command line: one output path and optional flags (null when malformed). */
function parseArgs(args: readonly string[]): { path: string; options: BuildOpenApiDocumentOptions } | null {
  const positional: string[] = [];
  let tokens = true;
  let server: string | undefined;
  for (let i = 0; i < args.length; i++) {
    if (args[i] === "--insecure-no-auth") tokens = false;
    else if (args[i] === "--server") server = args[++i];
    else positional.push(args[i]);
  }
  if (positional.length !== 1 || (server !== undefined && !/^https?:\/\//.test(server))) return null;
  const servers = server === undefined ? undefined : [{ url: server }];
  return { path: positional[0], options: { tokens, servers } };
}

if (import.meta.main) {
  const parsed = parseArgs(process.argv.slice(2));
  if (parsed === null) {
    console.error(USAGE);
    process.exit(2);
  }
  writeOpenApiDocument(parsed.path, parsed.options);
  console.log(`Wrote the OpenAPI document to ${parsed.path}`);
}
