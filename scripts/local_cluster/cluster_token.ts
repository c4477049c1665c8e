/** The tokens of the local cluster: made once, then kept in files readable only by their owner. */
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import type { TokenFiles } from "./layout.ts";

/** Shortest token accepted from a file (the node's own minimum for the API tokens). */
const MIN_TOKEN_LENGTH = 16;

/** The token in `file`, or a new random token written there (creating its directory). */
export function readOrCreateToken(file: string): string {
  if (existsSync(file)) {
    const token = readFileSync(file, "utf8").trim();
    if (token.length < MIN_TOKEN_LENGTH)
      throw new Error(`Cannot use the token in ${file}: it is shorter than ${MIN_TOKEN_LENGTH} characters`);
    return token;
  }
  mkdirSync(dirname(file), { recursive: true });
  const token = randomBytes(24).toString("base64url");
  writeFileSync(file, `${token}\n`, { mode: 0o600 });
  return token;
}

/** Every token of the cluster, made at the first start; the admin token is returned (the launcher calls the API with it). */
export function readOrCreateTokens(files: TokenFiles): { adminToken: string } {
  readOrCreateToken(files.cluster);
  const adminToken = readOrCreateToken(files.admin);
  readOrCreateToken(files.read);
  return { adminToken };
}
