/** How a promise failed, for tests that expect a refusal. */

/** The message of a rejected promise and its causes (`name: message <- cause …`), or "resolved" if it did not reject. */
export async function failureOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
    return "resolved";
  } catch (error) {
    const parts: string[] = [];
    for (let e: unknown = error; e !== undefined && parts.length < 5; e = (e as { cause?: unknown }).cause) {
      parts.push(e instanceof Error ? `${e.name}: ${e.message}` : String(e));
    }
    return parts.join(" <- ");
  }
}
