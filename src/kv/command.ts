/**
 * Encoding of key-value commands as the Raft core's opaque payloads: one JSON object per command.
 * Decoding never throws; a payload that is not a valid command yields a tagged error, and every node
 * reaches the same verdict for the same payload.
 */
import { type KvCommand, KvCommandSchema } from "../../schemas/kv_command.ts";
import { fastCommand } from "./command_fast_path.ts";

/**
 * Largest payload, in bytes or UTF-16 code units, that is even parsed. A valid command needs at most
 * about 13 MiB (a 1 MiB value and expectValue, each inflated up to 6x by JSON escapes), so anything
 * above this bound is invalid however it is measured, and the verdict does not depend on whether a
 * node holds the payload as a string or as bytes.
 */
export const MAX_COMMAND_PAYLOAD = 16 * 1024 * 1024;

/** Longest `message` of a refused payload. */
const MAX_MESSAGE_LENGTH = 500;

/** Result of {@link decodeCommand}. */
export type DecodeCommandResult =
  | { readonly ok: true; readonly command: KvCommand }
  | { readonly ok: false; readonly code: "invalid_command"; readonly message: string };

/** Result of {@link encodeCommand}. */
export type EncodeCommandResult =
  | { readonly ok: true; readonly payload: string }
  | { readonly ok: false; readonly code: "invalid_command"; readonly message: string };

const utf8 = new TextDecoder("utf-8", { fatal: true });

/**
 * Validates `command` and encodes it as a payload for `RaftNode.proposeCommand`. A refused command
 * would only be applied as a no-op, so the caller should answer the client instead of proposing it.
 */
export function encodeCommand(command: KvCommand): EncodeCommandResult {
  const parsed = KvCommandSchema.safeParse(command);
  if (!parsed.success) return invalid(describeIssues(parsed.error.issues));
  return { ok: true, payload: JSON.stringify(parsed.data) };
}

/** Decodes a payload taken from the log (string or UTF-8 bytes). Never throws. */
export function decodeCommand(payload: string | Uint8Array): DecodeCommandResult {
  const size = typeof payload === "string" ? payload.length : payload.byteLength;
  if (size > MAX_COMMAND_PAYLOAD) return invalid(`payload has ${size} bytes; the limit is ${MAX_COMMAND_PAYLOAD}`);
  const text = typeof payload === "string" ? payload : decodeUtf8(payload);
  if (text === null) return invalid("payload is not valid UTF-8");
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    return invalid(`payload is not JSON: ${(e as Error).message}`);
  }
  const fast = fastCommand(json);
  if (fast !== undefined) return { ok: true, command: fast };
  const parsed = KvCommandSchema.safeParse(json);
  if (!parsed.success) return invalid(describeIssues(parsed.error.issues));
  return { ok: true, command: parsed.data };
}

function decodeUtf8(bytes: Uint8Array): string | null {
  try {
    return utf8.decode(bytes);
  } catch {
    return null;
  }
}

function invalid(message: string): { ok: false; code: "invalid_command"; message: string } {
  const short = message.length > MAX_MESSAGE_LENGTH ? `${message.slice(0, MAX_MESSAGE_LENGTH - 3)}...` : message;
  return { ok: false, code: "invalid_command", message: short };
}

/** One line naming each problem and where it is, e.g. `key: key has 2000 UTF-8 bytes; the limit is 1024`. */
function describeIssues(issues: readonly { path: readonly PropertyKey[]; message: string }[]): string {
  const parts = issues.map((i) => (i.path.length > 0 ? `${i.path.map(String).join(".")}: ${i.message}` : i.message));
  return `invalid command: ${parts.join("; ")}`;
}
