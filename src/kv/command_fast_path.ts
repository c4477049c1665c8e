/**
 * A hand-written check of the common command shapes, equivalent to `KvCommandSchema` for what it
 * accepts: applying a log entry (and replaying the log at startup) then costs no schema walk.
 * Anything it does not recognise goes to the schema, which gives the verdict and the message, so
 * every node still reaches the same verdict for the same payload.
 */
import {
  type KvCommand,
  MAX_IDEMPOTENCY_KEY_LENGTH,
  MAX_KEY_BYTES,
  MAX_REQUEST_ID_LENGTH,
  MAX_VALUE_BYTES,
  utf8ByteLength,
} from "../../schemas/kv_command.ts";

const PUT_FIELDS = new Set(["op", "id", "idempotencyKey", "key", "value", "expectValue", "expectRevision"]);
const DELETE_FIELDS = new Set(["op", "id", "idempotencyKey", "key", "expectValue", "expectRevision"]);
const NOOP_FIELDS = new Set(["op", "id"]);
const PRINTABLE_ASCII = /^[\x20-\x7e]+$/;

/**
 * `json` as a command if it certainly satisfies `KvCommandSchema` (the same object the schema
 * would answer); undefined when it is not sure, and the schema must decide.
 */
export function fastCommand(json: unknown): KvCommand | undefined {
  if (typeof json !== "object" || json === null || Array.isArray(json)) return undefined;
  const o = json as Record<string, unknown>;
  const fields = o.op === "put" ? PUT_FIELDS : o.op === "delete" ? DELETE_FIELDS : o.op === "noop" ? NOOP_FIELDS : null;
  if (fields === null) return undefined;
  for (const name of Object.keys(o)) if (!fields.has(name)) return undefined;
  if (o.id !== undefined && !(typeof o.id === "string" && o.id.length <= MAX_REQUEST_ID_LENGTH)) return undefined;
  if (o.op === "noop") return o as KvCommand;
  if (o.idempotencyKey !== undefined && !isIdempotencyKey(o.idempotencyKey)) return undefined;
  if (!isUtf8Text(o.key, 1, MAX_KEY_BYTES)) return undefined;
  if (o.op === "put" && !isUtf8Text(o.value, 0, MAX_VALUE_BYTES)) return undefined;
  if (o.expectValue !== undefined && !isUtf8Text(o.expectValue, 0, MAX_VALUE_BYTES)) return undefined;
  if (o.expectRevision !== undefined && !isRevision(o.expectRevision)) return undefined;
  return o as KvCommand;
}

function isIdempotencyKey(v: unknown): boolean {
  return typeof v === "string" && v.length >= 1 && v.length <= MAX_IDEMPOTENCY_KEY_LENGTH && PRINTABLE_ASCII.test(v);
}

/** A string of valid Unicode whose UTF-8 length lies in `min..max`. */
function isUtf8Text(v: unknown, min: number, max: number): boolean {
  if (typeof v !== "string") return false;
  const n = utf8ByteLength(v);
  return n >= min && n <= max;
}

function isRevision(v: unknown): boolean {
  return typeof v === "number" && Number.isSafeInteger(v) && v >= 0;
}
