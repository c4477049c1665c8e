import { describe, expect, it } from "bun:test";
import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { writeOpenApiDocument } from "../../scripts/dump_openapi.ts";

/** The path of an installed command-line tool. */
function bin(name: string): string {
  return fileURLToPath(new URL(`../../node_modules/.bin/${name}`, import.meta.url));
}

/** Runs a tool; resolves with its exit code and combined output. */
function run(tool: string, args: readonly string[]): Promise<{ code: number; output: string }> {
  const env = { ...process.env, REDOCLY_TELEMETRY: "off", REDOCLY_SUPPRESS_UPDATE_NOTICE: "true", NO_COLOR: "1" };
  return new Promise((resolve) => {
    execFile(bin(tool), args, { timeout: 60_000, env }, (err, stdout, stderr) => {
      const code = err === null ? 0 : typeof err.code === "number" ? err.code : 1;
      resolve({ code, output: `${stdout}\n${stderr}` });
    });
  });
}

describe("OpenAPI lint", () => {
  for (const tokens of [true, false]) {
    it(`the dumped document passes redocly lint without errors or warnings (tokens: ${tokens})`, async () => {
      const dir = mkdtempSync(join(tmpdir(), "raftbare-openapi-"));
      try {
        const file = join(dir, "openapi.json");
        writeOpenApiDocument(file, { tokens });
        const { code, output } = await run("redocly", ["lint", file]);
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

describe("OpenAPI client generation", () => {
  it("openapi-typescript generates types with every path and operation from the dumped document", async () => {
    const dir = mkdtempSync(join(tmpdir(), "raftbare-openapi-"));
    try {
      const file = join(dir, "openapi.json");
      const types = join(dir, "api_types.ts");
      writeOpenApiDocument(file);
      const { code, output } = await run("openapi-typescript", [file, "--default-non-nullable", "false", "-o", types]);
      if (code !== 0) console.error(output);
      expect(code).toBe(0);
      const text = readFileSync(types, "utf8");
      for (const path of ["/v1/cluster", "/v1/status", "/v1/kv/{key}", "/v1/kv", "/livez", "/readyz"]) {
        expect(text).toContain(`"${path}": {`);
      }
      for (const operation of ["bootstrapCluster", "putKey", "getKey", "deleteKey", "listKeys"]) {
        expect(text).toContain(`${operation}: {`);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
});
