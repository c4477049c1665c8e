/**
 * The runnable parts of a Markdown guide (docs/operations.md): every fenced `sh` block with the
 * marker comment on the line before it — `<!-- run: NAME … -->` or `<!-- not run: REASON -->` —
 * the `text` blocks marked `<!-- output: NAME -->` that show what a command prints, and the tables
 * marked `<!-- table: NAME -->`. A `sh` block without a marker is an error, so no block of the
 * guide can go unrun without saying why.
 */

/** One fenced `sh` block of the guide. */
export interface GuideBlock {
  /** The name after `run:`; null for a block marked `not run:`. */
  readonly name: string | null;
  /** Why the block is not run; null for a block that is. */
  readonly skipReason: string | null;
  /** The 1-based line number of its opening fence. */
  readonly line: number;
  /** Its commands: lines joined across trailing backslashes, without blank lines and comment lines. */
  readonly commands: readonly string[];
}

/** The runnable parts of a guide. */
export interface Guide {
  readonly blocks: readonly GuideBlock[];
  /** The text of each `<!-- output: NAME -->` block, by name (without the final newline). */
  readonly outputs: ReadonlyMap<string, string>;
  /** The body rows of each `<!-- table: NAME -->` table, by name: one array of cells per row. */
  readonly tables: ReadonlyMap<string, readonly string[][]>;
}

const FENCE = /^```(\w*)\s*$/;
const RUN = /^<!-- run: ([A-Za-z0-9-]+)\b.*-->$/;
const NOT_RUN = /^<!-- not run: (.+) -->$/;
const OUTPUT = /^<!-- output: ([A-Za-z0-9-]+) -->$/;
const TABLE = /^<!-- table: ([A-Za-z0-9-]+)\b.*-->$/;

/** The nearest non-blank line before index `i`, trimmed ("" if none). */
function markerBefore(lines: readonly string[], i: number): string {
  for (let j = i - 1; j >= 0; j--) if (lines[j].trim() !== "") return lines[j].trim();
  return "";
}

/** The commands of a block's lines: continuations joined, blanks and comments dropped. */
export function blockCommands(body: readonly string[]): string[] {
  const commands: string[] = [];
  let pending = "";
  for (const raw of body) {
    const line = raw.trim();
    if (pending === "" && (line === "" || line.startsWith("#"))) continue;
    if (line.endsWith("\\")) {
      pending += `${line.slice(0, -1).trim()} `;
      continue;
    }
    commands.push(pending + line);
    pending = "";
  }
  if (pending !== "") throw new Error(`a block ends with a continued line: ${pending}`);
  return commands;
}

/** The body rows of the Markdown table that starts after line `i` (header and separator skipped). */
function tableAfter(lines: readonly string[], i: number): string[][] {
  let j = i + 1;
  while (j < lines.length && !lines[j].trim().startsWith("|")) j++;
  const rows: string[][] = [];
  for (j += 2; j < lines.length && lines[j].trim().startsWith("|"); j++) {
    rows.push(
      lines[j]
        .trim()
        .slice(1, -1)
        .split("|")
        .map((cell) => cell.trim()),
    );
  }
  return rows;
}

/** Parses `markdown`; throws naming the line of a `sh` block that has no marker, or of a name used twice. */
export function parseGuide(markdown: string): Guide {
  const lines = markdown.split("\n");
  const blocks: GuideBlock[] = [];
  const outputs = new Map<string, string>();
  const tables = new Map<string, string[][]>();
  for (let i = 0; i < lines.length; i++) {
    const table = TABLE.exec(lines[i].trim());
    if (table !== null) tables.set(table[1], tableAfter(lines, i));
    const fence = FENCE.exec(lines[i]);
    if (fence === null) continue;
    const end = lines.findIndex((line, j) => j > i && line.trim() === "```");
    if (end < 0) throw new Error(`the fence at line ${i + 1} is never closed`);
    const body = lines.slice(i + 1, end);
    const marker = markerBefore(lines, i);
    if (fence[1] === "sh") blocks.push(shBlock(marker, body, i + 1));
    const output = OUTPUT.exec(marker);
    if (fence[1] === "text" && output !== null) outputs.set(output[1], body.join("\n"));
    i = end;
  }
  const names = blocks.flatMap((b) => (b.name === null ? [] : [b.name]));
  const twice = names.find((name, k) => names.indexOf(name) !== k);
  if (twice !== undefined) throw new Error(`two sh blocks are named ${twice}`);
  return { blocks, outputs, tables };
}

function shBlock(marker: string, body: readonly string[], line: number): GuideBlock {
  const run = RUN.exec(marker);
  const notRun = NOT_RUN.exec(marker);
  if (run === null && notRun === null) {
    throw new Error(
      `the sh block at line ${line} has neither a <!-- run: NAME --> nor a <!-- not run: REASON --> marker`,
    );
  }
  const commands = blockCommands(body);
  return { name: run?.[1] ?? null, skipReason: notRun?.[1] ?? null, line, commands };
}

/** How a guide command runs: `setup` lines set the shell up for the block's later commands, `node` lines start a node. */
export type CommandKind = "setup" | "node" | "command";

const ASSIGNMENTS = /^([A-Za-z_][A-Za-z0-9_]*=("[^"]*"|'[^']*'|[^\s"']+)\s*)+$/;

/** What `command` is: an assignment, `umask` or `export` (setup), a node start (`src/main.ts`) or any other command. */
export function commandKind(command: string): CommandKind {
  if (ASSIGNMENTS.test(command) || /^(umask|export) /.test(command)) return "setup";
  if (/\bsrc\/main\.ts\b/.test(command)) return "node";
  return "command";
}
