/** The cluster token of the local cluster: made once, then kept in a file readable only by its owner. */
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";

/** The token in `file`, or a new random token written there (creating its directory). */
export function readOrCreateToken(file: string): string {
  if (existsSync(file)) {
    const token = readFileSync(file, "utf8").trim();
    if (token.length < 8) throw new Error(`Cannot use the cluster token in ${file}: it is shorter than 8 characters`);
    return token;
  }
  mkdirSync(dirname(file), { recursive: true });
  const token = randomBytes(18).toString("base64url");
  writeFileSync(file, `${token}\n`, { mode: 0o600 });
  return token;
}
