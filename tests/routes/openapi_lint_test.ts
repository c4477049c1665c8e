import { describe, expect, it } from "bun:test";
import { execFile } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { writeOpenApiDocument } from "../../scripts/dump_openapi.ts";

const LINTER = fileURLToPath(new URL("../../node_modules/.bin/redocly", import.meta.url));

/** Runs the OpenAPI linter (recommended rules) on `file`; resolves with its exit code and output. */
function lint(file: string): Promise<{ code: number; output: string }> {
  const env = { ...process.env, REDOCLY_TELEMETRY: "off", REDOCLY_SUPPRESS_UPDATE_NOTICE: "true", NO_COLOR: "1" };
  return new Promise((resolve) => {
    execFile(LINTER, ["lint", file], { timeout: 60_000, env }, (err, stdout, stderr) => {
      const code = err === null ? 0 : typeof err.code === "number" ? err.code : 1;
      resolve({ code, output: `${stdout}\n${stderr}` });
    });
  });
}

describe("OpenAPI lint", () => {
  for (const adminToken of [false, true]) {
    it(`the dumped document passes redocly lint without errors or warnings (admin token: ${adminToken})`, async () => {
      const dir = mkdtempSync(join(tmpdir(), "raftbare-openapi-"));
      try {
        const file = join(dir, "openapi.json");
        writeOpenApiDocument(file, { adminToken });
        const { code, output } = await lint(file);
        if (code !== 0 || /You have \d+ warning/.test(output)) console.error(output);
        expect(code).toBe(0);
        expect(output).toContain("Your API description is valid");
        expect(output).not.toMatch(/You have \d+ warning/);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    }, 60_000);
  }
});
