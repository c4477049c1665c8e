/**
 * A strict parser of the Prometheus text exposition format (0.0.4), for tests: every line is a
 * HELP, a TYPE or a sample of the metric last declared; label values are unescaped; anything else
 * throws with the line number.
 */

/** One sample. */
export interface Sample {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

/** A parsed exposition: metric types by name, and every sample. */
export interface Exposition {
  readonly types: ReadonlyMap<string, string>;
  readonly samples: readonly Sample[];
}

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const SAMPLE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})? (\S+)$/;
const SUFFIXES = ["_bucket", "_sum", "_count"];

function parseLabels(text: string, line: number): Record<string, string> {
  const labels: Record<string, string> = {};
  let i = 0;
  while (i < text.length) {
    const eq = text.indexOf("=", i);
    const name = text.slice(i, eq);
    if (eq < 0 || !NAME.test(name) || text[eq + 1] !== '"')
      throw new Error(`line ${line}: bad label at ${text.slice(i)}`);
    let value = "";
    let j = eq + 2;
    for (; j < text.length && text[j] !== '"'; j++) {
      if (text[j] === "\\") {
        const next = text[++j];
        value += next === "n" ? "\n" : next;
      } else value += text[j];
    }
    if (j >= text.length) throw new Error(`line ${line}: unterminated label value`);
    labels[name] = value;
    i = j + 1;
    if (text[i] === ",") i++;
    else if (i < text.length) throw new Error(`line ${line}: expected ',' after label ${name}`);
  }
  return labels;
}

function parseValue(text: string, line: number): number {
  if (text === "+Inf") return Number.POSITIVE_INFINITY;
  if (text === "-Inf") return Number.NEGATIVE_INFINITY;
  if (text === "NaN") return Number.NaN;
  const value = Number(text);
  if (text === "" || Number.isNaN(value)) throw new Error(`line ${line}: bad value ${text}`);
  return value;
}

/** Parses `text`; throws on the first line that is not valid exposition format. */
export function parseExposition(text: string): Exposition {
  if (!text.endsWith("\n")) throw new Error("the exposition must end with a newline");
  const types = new Map<string, string>();
  const samples: Sample[] = [];
  let current: string | undefined;
  text
    .slice(0, -1)
    .split("\n")
    .forEach((raw, k) => {
      const line = k + 1;
      if (raw.startsWith("# HELP ")) {
        const name = raw.slice(7).split(" ")[0];
        if (!NAME.test(name)) throw new Error(`line ${line}: bad metric name in HELP`);
        current = name;
        return;
      }
      if (raw.startsWith("# TYPE ")) {
        const [name, type] = raw.slice(7).split(" ");
        if (name !== current || !["counter", "gauge", "histogram", "summary", "untyped"].includes(type)) {
          throw new Error(`line ${line}: TYPE of ${name} is out of place or unknown (${type})`);
        }
        if (types.has(name)) throw new Error(`line ${line}: ${name} declared twice`);
        types.set(name, type);
        return;
      }
      const m = SAMPLE.exec(raw);
      if (m === null) throw new Error(`line ${line}: not a sample: ${raw}`);
      const name = m[1];
      const base = SUFFIXES.find((s) => name.endsWith(s) && types.get(name.slice(0, -s.length)) === "histogram");
      const family = base === undefined ? name : name.slice(0, -base.length);
      if (family !== current) throw new Error(`line ${line}: sample ${name} outside its family ${current}`);
      samples.push({ name, labels: m[3] === undefined ? {} : parseLabels(m[3], line), value: parseValue(m[4], line) });
    });
  return { types, samples };
}

/** The value of the sample named `name` whose labels include `labels`, or undefined. */
export function sampleValue(
  exposition: Exposition,
  name: string,
  labels: Record<string, string> = {},
): number | undefined {
  return exposition.samples.find((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v))
    ?.value;
}
