/**
 * What a refusal of a hostile request must look like: a 4xx (401 when the token is refused), a
 * status the document declares when the request still addresses its operation, JSON content, and
 * exactly the error envelope, whose code maps to the status and which never says a refused write
 * may have taken effect.
 */
import { ApiErrorSchema, errorStatus } from "../../schemas/api_errors.ts";
import type { RawAnswer } from "../helpers/raw_http.ts";
import type { ApiOperation } from "./api_operations.ts";
import { type HostileCase, isRefusedToken } from "./hostile_http_arbs.ts";

/** Everything wrong with `answer` as the refusal of `c` to `op`; empty when it is a proper refusal. */
export function refusalProblems(answer: RawAnswer, c: HostileCase, op: ApiOperation): string[] {
  const problems: string[] = [];
  const status = answer.status;
  if (status < 400 || status > 499) problems.push(`status ${status} is not a 4xx`);
  if (op.secured && isRefusedToken(c.token) && status !== 401) problems.push(`status ${status} for a refused token`);
  if (c.addressesOperation) {
    const declared = new Set([...op.statuses, ...(op.secured ? [401, 403] : [])]);
    if (!declared.has(status)) problems.push(`status ${status} is not declared for ${op.operationId}`);
  }
  if (!(answer.headers["content-type"] ?? "").startsWith("application/json")) {
    problems.push(`content-type '${answer.headers["content-type"]}' is not application/json`);
  }
  const envelope = ApiErrorSchema.safeParse(answer.body);
  if (!envelope.success || Object.keys(answer.body ?? {}).join() !== "error") {
    problems.push(`the body is not the error envelope: ${answer.text.slice(0, 200)}`);
    return problems;
  }
  const error = envelope.data.error;
  if (errorStatus(error.code) !== status)
    problems.push(`code ${error.code} maps to ${errorStatus(error.code)}, not ${status}`);
  if (error.definite === false) problems.push("a refused request says it may have taken effect (definite: false)");
  if (/\n\s+at /.test(error.message)) problems.push("the message carries a stack trace");
  return problems;
}
