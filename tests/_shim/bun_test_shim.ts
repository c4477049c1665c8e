/**
 * Maps the subset of `bun:test` used by this project onto Deno: `node:test` for structure,
 * Jest's `expect` for assertions and `jest-mock` for spies. deno.json points `bun:test` here.
 */
export { after as afterAll, afterEach, before as beforeAll, beforeEach, describe, it, test } from "node:test";
export { expect } from "expect";
export { fn as mock, spyOn } from "jest-mock";
