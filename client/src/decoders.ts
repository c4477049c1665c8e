/** Decoders of the API's answers into a call's value (see call.ts `Decoded`). */
import { isErrorEnvelope } from "./answers.ts";
import type { Answer, Decoded } from "./call.ts";
import type { ClientResult } from "./client_error.ts";

/** A decoder of 2xx answers whose body `guard` accepts; anything else is an error answer. */
export function expectBody<T>(guard: (x: unknown) => x is T, what: string): (answer: Answer) => Decoded<T> {
  return (answer) => {
    if (!answer.response.ok) return "error";
    return guard(answer.data) ? { value: answer.data } : { invalid: `the body is not ${what}` };
  };
}

/** True for the API's 404 `not_found` (a missing key), not a 404 for an unknown path. */
export function isNotFound(answer: Answer): boolean {
  return answer.response.status === 404 && isErrorEnvelope(answer.error) && answer.error.error.code === "not_found";
}

/** A listing whose `next` does not move past `after`: an answer no service should give. */
export function stuckCursor(after: string, next: string, servedBy: string | null): ClientResult<never> {
  const message = `Invalid answer: the listing's next cursor '${next}' does not come after '${after}'`;
  return { ok: false, error: { code: "invalid_response", message, definite: true, servedBy, attempts: 1 } };
}
