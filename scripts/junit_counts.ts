/**
 * Reads JUnit XML reports from `bun test` and `deno test` and prints, per report, the number of
 * passed and failed tests, then a last line `N passed, N failed` with the totals (the line CI reads).
 *
 * Usage: bun scripts/junit_counts.ts <label>=<junit.xml> [...]
 * Deno lists both a `describe` block and each `it` inside it as test cases; only leaves count.
 */
import { existsSync, readFileSync } from "node:fs";

/** One test case as read from a report. */
export interface JunitCase {
  name: string;
  failed: boolean;
}

/** Extracts the test cases of a JUnit document (names unescaped, failure or error marks a failure). */
export function parseJunit(xml: string): JunitCase[] {
  const cases: JunitCase[] = [];
  const pattern = /<testcase\b([^>]*?)(\/>|>([\s\S]*?)<\/testcase>)/g;
  for (const match of xml.matchAll(pattern)) {
    const name = /\bname="([^"]*)"/.exec(match[1])?.[1] ?? "";
    const body = match[3] ?? "";
    cases.push({ name: unescapeXml(name), failed: /<(failure|error)\b/.test(body) });
  }
  return cases;
}

/** Drops cases that are only containers of other cases (`A` when `A > b` exists). */
export function leafCases(cases: JunitCase[]): JunitCase[] {
  const names = cases.map((c) => c.name);
  return cases.filter((c) => !names.some((n) => n.startsWith(`${c.name} > `)));
}

function unescapeXml(s: string): string {
  return s
    .replaceAll("&gt;", ">")
    .replaceAll("&lt;", "<")
    .replaceAll("&quot;", '"')
    .replaceAll("&apos;", "'")
    .replaceAll("&amp;", "&");
}

function main(): number {
  let passed = 0;
  let failed = 0;
  for (const arg of process.argv.slice(2)) {
    const [label, path] = arg.split("=");
    if (!existsSync(path)) {
      console.log(`${label}: no report at ${path} (the runner did not finish): counted as 1 failure`);
      failed += 1;
      continue;
    }
    const cases = leafCases(parseJunit(readFileSync(path, "utf8")));
    const bad = cases.filter((c) => c.failed);
    for (const c of bad) console.log(`${label}: FAILED ${c.name}`);
    console.log(`${label}: ${cases.length - bad.length} passed, ${bad.length} failed`);
    passed += cases.length - bad.length;
    failed += bad.length;
  }
  console.log(`${passed} passed, ${failed} failed`);
  return failed > 0 ? 1 : 0;
}

if (import.meta.main) process.exit(main());
