/** The instructions of a Dockerfile, read the way Docker reads them, for tests that run no Docker engine. */

/** One instruction: its keyword (upper case), its arguments and the line it starts on. */
export interface DockerInstruction {
  readonly keyword: string;
  readonly args: string;
  readonly line: number;
}

/**
 * The instructions of `text`: comment and blank lines dropped, lines ending in `\` joined with the
 * next (comment lines inside a continued instruction are skipped, as Docker does).
 */
export function parseDockerfile(text: string): DockerInstruction[] {
  const instructions: DockerInstruction[] = [];
  let pending = "";
  let start = 0;
  text.split("\n").forEach((raw, i) => {
    const line = raw.trim();
    if (line === "" || line.startsWith("#")) return;
    if (pending === "") start = i + 1;
    if (line.endsWith("\\")) {
      pending += `${line.slice(0, -1).trim()} `;
      return;
    }
    const whole = pending + line;
    pending = "";
    const space = whole.search(/\s/);
    const keyword = (space < 0 ? whole : whole.slice(0, space)).toUpperCase();
    instructions.push({ keyword, args: space < 0 ? "" : whole.slice(space + 1).trim(), line: start });
  });
  if (pending !== "") throw new Error(`the Dockerfile ends with a continued line: ${pending}`);
  return instructions;
}

/** The one instruction with `keyword` (throws if there is none, or more than one). */
export function onlyInstruction(instructions: readonly DockerInstruction[], keyword: string): DockerInstruction {
  const found = instructions.filter((i) => i.keyword === keyword);
  if (found.length !== 1) throw new Error(`expected one ${keyword} instruction, found ${found.length}`);
  return found[0];
}

/** The words of an exec-form argument list (`["a", "b"]`), or undefined for the shell form. */
export function execForm(args: string): string[] | undefined {
  if (!args.startsWith("[")) return undefined;
  const words: unknown = JSON.parse(args);
  if (!Array.isArray(words) || !words.every((w) => typeof w === "string")) throw new Error(`not an exec form: ${args}`);
  return words;
}

/** The `KEY=value` pairs of an `ENV` instruction (values without quotes). */
export function envPairs(args: string): Map<string, string> {
  const pairs = new Map<string, string>();
  for (const match of args.matchAll(/([A-Za-z_][A-Za-z0-9_]*)=("[^"]*"|\S*)/g)) {
    pairs.set(match[1], match[2].replace(/^"(.*)"$/, "$1"));
  }
  return pairs;
}

/** The shell command of a `HEALTHCHECK [--option=value …] CMD <command>` instruction (shell form). */
export function healthcheckShellCommand(args: string): string {
  const match = /^(?:--[a-z-]+=\S+\s+)*CMD\s+(.+)$/.exec(args);
  if (match === null) throw new Error(`not a HEALTHCHECK … CMD instruction: ${args}`);
  if (execForm(match[1]) !== undefined) throw new Error("expected the shell form of HEALTHCHECK CMD");
  return match[1];
}
