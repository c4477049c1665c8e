/**
 * Metrics in the Prometheus text exposition format (version 0.0.4): counters and histograms that
 * the node updates as things happen, and gauges read when scraped. Label sets are bounded by the
 * caller (route patterns, status codes, outcome codes, member ids), and each metric refuses more
 * than {@link MAX_SERIES} series, so a scrape stays small whatever the traffic.
 */

/** Label values of one series, by label name. */
export type Labels = Readonly<Record<string, string>>;

/** Series per metric at most; past it, new label sets are folded into one `overflow` series. */
export const MAX_SERIES = 256;

const OVERFLOW: Labels = { overflow: "true" };

function escapeLabel(value: string): string {
  return value.replace(/\\/g, "\\\\").replace(/\n/g, "\\n").replace(/"/g, '\\"');
}

function formatLabels(labels: Labels, extra?: [string, string]): string {
  const pairs = Object.entries(labels);
  if (extra !== undefined) pairs.push(extra);
  if (pairs.length === 0) return "";
  return `{${pairs.map(([k, v]) => `${k}="${escapeLabel(v)}"`).join(",")}}`;
}

function formatValue(value: number): string {
  if (Number.isNaN(value)) return "NaN";
  if (value === Number.POSITIVE_INFINITY) return "+Inf";
  if (value === Number.NEGATIVE_INFINITY) return "-Inf";
  return String(value);
}

function keyOf(labels: Labels): string {
  return JSON.stringify(Object.entries(labels).sort());
}

interface Metric {
  readonly name: string;
  render(): string[];
}

/** One series of a counter, bound to its labels: increment it without looking the labels up. */
export interface CounterChild {
  /** Adds `by` (default 1, never negative). */
  inc(by?: number): void;
}

/** One series of a histogram, bound to its labels. */
export interface HistogramChild {
  /** Records `value`. */
  observe(value: number): void;
}

/** A monotonically increasing count, per label set. */
export class Counter implements Metric {
  readonly name: string;
  readonly #help: string;
  readonly #series = new Map<string, { labels: Labels; value: number }>();

  /** A counter named `name` (it should end in `_total`). */
  constructor(name: string, help: string) {
    this.name = name;
    this.#help = help;
  }

  /** Adds `by` (default 1, never negative) to the series of `labels`. */
  inc(labels: Labels = {}, by = 1): void {
    this.child(labels).inc(by);
  }

  /**
   * The series of `labels` (created at 0, so it shows in scrapes), as a handle for hot paths:
   * callers keep it instead of looking their labels up on every increment. Past
   * {@link MAX_SERIES}, the handle is the overflow series.
   */
  child(labels: Labels = {}): CounterChild {
    const series = seriesFor(this.#series, labels, () => ({ value: 0 }));
    return {
      inc: (by = 1) => {
        if (!(by >= 0)) throw new Error(`a counter only grows (got ${by})`);
        series.value += by;
      },
    };
  }

  /** The value of the series of `labels` (0 if none). */
  value(labels: Labels = {}): number {
    return this.#series.get(keyOf(labels))?.value ?? 0;
  }

  render(): string[] {
    const lines = [`# HELP ${this.name} ${this.#help}`, `# TYPE ${this.name} counter`];
    for (const s of this.#series.values()) lines.push(`${this.name}${formatLabels(s.labels)} ${formatValue(s.value)}`);
    return lines;
  }
}

/** A distribution of observed values over fixed buckets, per label set. */
export class Histogram implements Metric {
  readonly name: string;
  readonly #help: string;
  readonly #buckets: readonly number[];
  readonly #series = new Map<string, { labels: Labels; counts: number[]; sum: number; count: number }>();

  /** A histogram named `name` with the upper bounds `buckets` (ascending; +Inf is added). */
  constructor(name: string, help: string, buckets: readonly number[]) {
    for (let i = 1; i < buckets.length; i++) {
      if (!(buckets[i] > buckets[i - 1])) throw new Error("histogram buckets must ascend");
    }
    this.name = name;
    this.#help = help;
    this.#buckets = buckets;
  }

  /** Records `value` in the series of `labels`. */
  observe(labels: Labels, value: number): void {
    this.child(labels).observe(value);
  }

  /** The series of `labels` (created empty), as a handle for hot paths; see {@link Counter.child}. */
  child(labels: Labels = {}): HistogramChild {
    const series = seriesFor(this.#series, labels, () => ({ counts: this.#buckets.map(() => 0), sum: 0, count: 0 }));
    const buckets = this.#buckets;
    return {
      observe: (value) => {
        if (Number.isNaN(value)) throw new Error("a histogram observes numbers (got NaN)");
        for (let i = 0; i < buckets.length; i++) if (value <= buckets[i]) series.counts[i]++;
        series.sum += value;
        series.count++;
      },
    };
  }

  render(): string[] {
    const lines = [`# HELP ${this.name} ${this.#help}`, `# TYPE ${this.name} histogram`];
    for (const s of this.#series.values()) {
      this.#buckets.forEach((bound, i) => {
        lines.push(`${this.name}_bucket${formatLabels(s.labels, ["le", formatValue(bound)])} ${s.counts[i]}`);
      });
      lines.push(`${this.name}_bucket${formatLabels(s.labels, ["le", "+Inf"])} ${s.count}`);
      lines.push(`${this.name}_sum${formatLabels(s.labels)} ${formatValue(s.sum)}`);
      lines.push(`${this.name}_count${formatLabels(s.labels)} ${s.count}`);
    }
    return lines;
  }
}

/** A value read at scrape time, per label set. */
class Gauge implements Metric {
  readonly name: string;
  readonly #help: string;
  readonly #read: () => ReadonlyArray<readonly [Labels, number]>;

  constructor(name: string, help: string, read: () => ReadonlyArray<readonly [Labels, number]>) {
    this.name = name;
    this.#help = help;
    this.#read = read;
  }

  render(): string[] {
    const lines = [`# HELP ${this.name} ${this.#help}`, `# TYPE ${this.name} gauge`];
    for (const [labels, value] of this.#read().slice(0, MAX_SERIES)) {
      lines.push(`${this.name}${formatLabels(labels)} ${formatValue(value)}`);
    }
    return lines;
  }
}

function seriesFor<T extends object>(map: Map<string, T & { labels: Labels }>, labels: Labels, init: () => T): T {
  const key = keyOf(labels);
  const found = map.get(key);
  if (found !== undefined) return found;
  if (map.size >= MAX_SERIES && labels !== OVERFLOW) return seriesFor(map, OVERFLOW, init); // Bounded: fold the rest.
  const created = { ...init(), labels } as T & { labels: Labels };
  map.set(key, created);
  return created;
}

/** The metrics of one node, rendered in registration order. */
export class MetricsRegistry {
  readonly #metrics: Metric[] = [];

  /** Registers a counter. */
  counter(name: string, help: string): Counter {
    return this.#add(new Counter(name, help));
  }

  /** Registers a histogram. */
  histogram(name: string, help: string, buckets: readonly number[]): Histogram {
    return this.#add(new Histogram(name, help, buckets));
  }

  /** Registers a gauge whose series `read` returns at each scrape. */
  gauge(name: string, help: string, read: () => ReadonlyArray<readonly [Labels, number]>): void {
    this.#add(new Gauge(name, help, read));
  }

  /** Every metric in the text exposition format. */
  render(): string {
    return `${this.#metrics.flatMap((m) => m.render()).join("\n")}\n`;
  }

  #add<M extends Metric>(metric: M): M {
    if (!/^[a-zA-Z_:][a-zA-Z0-9_:]*$/.test(metric.name)) throw new Error(`invalid metric name ${metric.name}`);
    if (this.#metrics.some((m) => m.name === metric.name)) throw new Error(`metric ${metric.name} registered twice`);
    this.#metrics.push(metric);
    return metric;
  }
}

/** The content type of the exposition format. */
export const METRICS_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";
