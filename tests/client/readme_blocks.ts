/**
 * The client's examples and commands as the READMEs show them: the code block after each
 * `<!-- client-example:<file> -->` marker (which must be `client/examples/<file>` verbatim), and
 * the command lines between `<!-- client-commands:start -->` and `<!-- client-commands:end -->`.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { REPO_ROOT } from "../helpers/process_cluster.ts";

/** One example block of a README. */
export interface ExampleBlock {
  /** The file under client/examples/ it shows. */
  readonly file: string;
  /** The block's content (with its final newline). */
  readonly code: string;
}

/** The text of `path` (relative to the repository root). */
export function repoText(path: string): string {
  return readFileSync(join(REPO_ROOT, path), "utf8");
}

/** Every example block of `readme` in order. */
export function exampleBlocks(readme: string): ExampleBlock[] {
  const blocks: ExampleBlock[] = [];
  const marker = /<!-- client-example:([\w.]+) -->\n+```[a-z]*\n([\s\S]*?)^```$/gm;
  for (const match of readme.matchAll(marker)) blocks.push({ file: match[1], code: match[2] });
  return blocks;
}

/** The command lines of the README's client block (comments and blank lines left out). */
export function clientCommands(readme: string = repoText("README.md")): string[] {
  const start = readme.indexOf("<!-- client-commands:start -->");
  const end = readme.indexOf("<!-- client-commands:end -->");
  if (start < 0 || end < start) throw new Error("README.md has no client-commands block");
  const block = readme.slice(start, end).split("```sh\n")[1]?.split("```")[0] ?? "";
  return block.split("\n").filter((line) => line.trim() !== "" && !line.trim().startsWith("#"));
}

/** The one command line of the README's block that contains `needle`. */
export function clientCommand(needle: string): string {
  const lines = clientCommands().filter((line) => line.includes(needle));
  if (lines.length !== 1) throw new Error(`expected one client command with '${needle}', found ${lines.length}`);
  return lines[0];
}
