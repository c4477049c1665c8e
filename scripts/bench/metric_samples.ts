/**
 * Reads figures out of a Prometheus text exposition (as GET /metrics serves it): the sum of every
 * sample of a metric name, optionally only those with some label values. Lenient on purpose: it
 * reads another system's exposition too, and skips what it does not need.
 */

/** One sample line: its metric name, labels and value. */
interface SampleLine {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

const SAMPLE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)(?:\s+-?\d+)?$/;
const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g;

/** The sample on `line`, or undefined for comments, blank lines and lines that are not samples. */
function sampleOf(line: string): SampleLine | undefined {
  const match = SAMPLE.exec(line.trim());
  if (match === null) return undefined;
  const labels: Record<string, string> = {};
  for (const [, name, value] of (match[2] ?? "").matchAll(LABEL)) {
    labels[name] = value.replace(/\\(.)/g, (_, c: string) => (c === "n" ? "\n" : c));
  }
  const text = match[3];
  const value = text === "+Inf" ? Number.POSITIVE_INFINITY : text === "-Inf" ? Number.NEGATIVE_INFINITY : Number(text);
  return { name: match[1], labels, value };
}

/**
 * The sum of the samples of `name` in `exposition` whose labels include every pair of `labels`;
 * 0 when there are none (a metric not observed yet).
 */
export function sumOfSamples(exposition: string, name: string, labels: Readonly<Record<string, string>> = {}): number {
  let sum = 0;
  for (const line of exposition.split("\n")) {
    if (line.startsWith("#") || !line.startsWith(name)) continue;
    const sample = sampleOf(line);
    if (sample === undefined || sample.name !== name) continue;
    if (Object.entries(labels).every(([k, v]) => sample.labels[k] === v)) sum += sample.value;
  }
  return sum;
}
