// The core must stay I/O-free and self-contained: it imports only its own files, and it touches no
// clock, randomness, timer, runtime global or network. This test reads its sources to check that.
import { describe, expect, it } from "bun:test";
import { readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";

const CORE_DIR = fileURLToPath(new URL("../../packages/core/src/", import.meta.url));

/** Every .ts file under `dir`, recursively. */
function tsFiles(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...tsFiles(path));
    else if (entry.name.endsWith(".ts")) out.push(path);
  }
  return out.sort();
}

/**
 * Splits TypeScript source into `code` (comments removed, string literals kept) and `bare` (comments
 * removed and string contents blanked, template `${…}` expressions kept as code). Regular-expression
 * literals are not recognised; the core has none.
 */
function stripSource(source: string): { code: string; bare: string } {
  let code = "";
  let bare = "";
  const emit = (c: string, inString: boolean) => {
    code += c;
    bare += inString && c !== "\n" ? " " : c;
  };
  /** For each open template expression, the depth of `{` nested inside it. */
  const expressions: number[] = [];
  const n = source.length;
  let i = 0;
  /** Reads template text up to its closing backtick or the start of an expression. */
  const readTemplate = () => {
    while (i < n) {
      const c = source[i];
      if (c === "\\") {
        emit(c, true);
        emit(source[i + 1] ?? "", true);
        i += 2;
      } else if (c === "`") {
        emit(c, false);
        i++;
        return;
      } else if (c === "$" && source[i + 1] === "{") {
        emit("${", false);
        i += 2;
        expressions.push(0);
        return;
      } else {
        emit(c, true);
        i++;
      }
    }
  };
  while (i < n) {
    const c = source[i];
    const next = source[i + 1];
    if (c === "/" && next === "/") {
      while (i < n && source[i] !== "\n") i++;
    } else if (c === "/" && next === "*") {
      const end = source.indexOf("*/", i + 2);
      const stop = end === -1 ? n : end + 2;
      for (const ch of source.slice(i, stop)) if (ch === "\n") emit(ch, false);
      i = stop;
    } else if (c === '"' || c === "'") {
      emit(c, false);
      i++;
      while (i < n && source[i] !== c && source[i] !== "\n") {
        if (source[i] === "\\") emit(source[i++], true);
        emit(source[i++] ?? "", true);
      }
      if (i < n) emit(source[i++], false);
    } else if (c === "`") {
      emit(c, false);
      i++;
      readTemplate();
    } else if (c === "}" && expressions.length > 0 && expressions[expressions.length - 1] === 0) {
      expressions.pop(); // The end of a template expression: back to template text.
      emit(c, false);
      i++;
      readTemplate();
    } else {
      if (expressions.length > 0 && c === "{") expressions[expressions.length - 1]++;
      if (expressions.length > 0 && c === "}") expressions[expressions.length - 1]--;
      emit(c, false);
      i++;
    }
  }
  return { code, bare };
}

/** Module specifiers of static imports/re-exports, plus a marker for each dynamic import or require. */
function importSpecifiers(code: string): string[] {
  const out: string[] = [];
  const fromClause = /\b(?:import|export)\b[^;"'`]*?\bfrom\s*(["'])([^"']*)\1/g;
  const sideEffect = /\bimport\s*(["'])([^"']*)\1/g;
  for (const m of code.matchAll(fromClause)) out.push(m[2]);
  for (const m of code.matchAll(sideEffect)) out.push(m[2]);
  for (const _ of code.matchAll(/\bimport\s*\(/g)) out.push("<dynamic import>");
  for (const _ of code.matchAll(/\brequire\s*\(/g)) out.push("<require>");
  return out;
}

const FORBIDDEN: ReadonlyArray<[string, RegExp]> = [
  ["Date", /\bDate\b/],
  ["Math.random", /\bMath\s*\.\s*random\b/],
  ["setTimeout", /\bsetTimeout\b/],
  ["setInterval", /\bsetInterval\b/],
  ["performance", /\bperformance\b/],
  ["Bun.", /\bBun\s*\./],
  ["Deno.", /\bDeno\s*\./],
  ["process.", /\bprocess\s*\./],
  ["globalThis", /\bglobalThis\b/],
  ["fetch", /\bfetch\b/],
  ["require", /\brequire\b/],
  ["node:", /\bnode:/],
];

/** The forbidden names used as code (not in comments or strings) in `source`. */
function forbiddenUses(source: string): string[] {
  const { bare } = stripSource(source);
  return FORBIDDEN.filter(([, re]) => re.test(bare)).map(([name]) => name);
}

/** The import specifiers of `source` that are not a sibling "./name.ts" file. */
function foreignImports(source: string): string[] {
  const { code } = stripSource(source);
  return importSpecifiers(code).filter((s) => !/^\.\/[A-Za-z0-9_]+\.ts$/.test(s));
}

/** Fixture source text: `#{` stands for a template expression opener. */
function fixture(text: string): string {
  return text.replaceAll("#{", "$" + "{");
}

describe("core purity checks (self-test of the scanner)", () => {
  it("forbiddenUses() finds forbidden names in code, including template expressions", () => {
    expect(forbiddenUses("const t = Date.now();")).toEqual(["Date"]);
    expect(forbiddenUses("const r = Math . random();")).toEqual(["Math.random"]);
    expect(forbiddenUses(fixture("const s = `at #{performance.now()} ms`;"))).toEqual(["performance"]);
    expect(forbiddenUses(fixture("const s = `a #{`b #{globalThis.x}`} c`;"))).toEqual(["globalThis"]);
    expect(forbiddenUses("setTimeout(f, 1); setInterval(f, 1);")).toEqual(["setTimeout", "setInterval"]);
    expect(forbiddenUses("Bun.file(p); Deno.readFile(p); process.exit(1);")).toEqual(["Bun.", "Deno.", "process."]);
    expect(forbiddenUses("await fetch(u); const fs = require('fs');")).toEqual(["fetch", "require"]);
  });

  it("forbiddenUses() ignores comments and string contents", () => {
    expect(forbiddenUses("// Date.now() is banned\n/* setTimeout */ const a = 1;")).toEqual([]);
    expect(forbiddenUses('const m = "a node: never calls fetch";')).toEqual([]);
    expect(forbiddenUses(fixture("const m = `Date #{x} performance`;"))).toEqual([]);
    expect(forbiddenUses("const updatedAt = 1; const dater = 2;")).toEqual([]);
  });

  it("foreignImports() accepts sibling files only", () => {
    expect(foreignImports('import { a } from "./a.ts";\nexport { b } from "./b_c.ts";')).toEqual([]);
    expect(foreignImports('import type { X } from "./x.ts";')).toEqual([]);
    expect(foreignImports('import { a } from "../a.ts";')).toEqual(["../a.ts"]);
    expect(foreignImports('import { a } from "./sub/a.ts";')).toEqual(["./sub/a.ts"]);
    expect(foreignImports('export * from "node:fs";')).toEqual(["node:fs"]);
    expect(foreignImports('import "zod";')).toEqual(["zod"]);
    expect(foreignImports('import {\n  a,\n  b,\n} from "./a";')).toEqual(["./a"]);
    expect(foreignImports('const m = await import("./a.ts");')).toEqual(["<dynamic import>"]);
    expect(foreignImports('// import { a } from "../a.ts";')).toEqual([]);
  });
});

describe("packages/core/src purity", () => {
  const files = tsFiles(CORE_DIR);

  it("packages/core/src has the expected modules to check", () => {
    const names = files.map((f) => relative(CORE_DIR, f));
    for (const name of ["mod.ts", "node.ts", "log_entries.ts", "action.ts"]) expect(names).toContain(name);
  });

  it("packages/core/src imports and re-exports only sibling ./x.ts files", () => {
    const problems = files.flatMap((f) =>
      foreignImports(readFileSync(f, "utf8")).map((s) => `${relative(CORE_DIR, f)}: ${s}`),
    );
    expect(problems).toEqual([]);
  });

  it("packages/core/src uses no clock, randomness, timer, runtime global, network or node: module", () => {
    const problems = files.flatMap((f) =>
      forbiddenUses(readFileSync(f, "utf8")).map((name) => `${relative(CORE_DIR, f)}: ${name}`),
    );
    expect(problems).toEqual([]);
  });
});
