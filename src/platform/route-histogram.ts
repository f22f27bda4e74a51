// The request-duration histogram, kept here rather than in prom-client's Histogram: prom-client
// validates and hashes the label object on every observation (~0.7 µs on the benchmark machine, 2 %
// of the server's CPU on the preview scenario, most of what METRICS=on cost); here one observation is
// a Map lookup by a string key and two additions. Rendered in the text format by `exposition()`,
// which the registry's output is followed by.

/** Upper bounds (seconds), ascending; +Inf is implied. */
export type Buckets = readonly number[];

interface Series {
  method: string;
  route: string;
  status: number;
  /** per bucket, not cumulative; the last is +Inf */
  counts: number[];
  sum: number;
}

/** A label value in the text format: backslash, double quote and line feed escaped. */
function labelValue(text: string): string {
  return text.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

/** A sample value in the text format (as Go's ParseFloat reads it). */
function sampleValue(n: number): string {
  if (Number.isNaN(n)) return 'NaN';
  if (n === Number.POSITIVE_INFINITY) return '+Inf';
  if (n === Number.NEGATIVE_INFINITY) return '-Inf';
  return String(n);
}

export class RouteHistogram {
  readonly #series = new Map<string, Series>();

  constructor(
    readonly name: string,
    readonly help: string,
    readonly buckets: Buckets,
  ) {}

  observe(method: string, route: string, status: number, seconds: number): void {
    const key = `${method} ${status} ${route}`;
    let s = this.#series.get(key);
    if (!s) {
      s = { method, route, status, counts: new Array<number>(this.buckets.length + 1).fill(0), sum: 0 };
      this.#series.set(key, s);
    }
    const b = this.buckets;
    let i = 0;
    while (i < b.length && seconds > (b[i] as number)) i++;
    s.counts[i] = (s.counts[i] as number) + 1;
    s.sum += seconds;
  }

  /** The HELP and TYPE lines and every series' buckets (cumulative), _sum and _count. */
  exposition(): string {
    const { name } = this;
    const lines = [
      `# HELP ${name} ${this.help.replace(/\\/g, '\\\\').replace(/\n/g, '\\n')}`,
      `# TYPE ${name} histogram`,
    ];
    for (const s of this.#series.values()) {
      const labels = `method="${labelValue(s.method)}",route="${labelValue(s.route)}",status="${s.status}"`;
      let cumulative = 0;
      for (let i = 0; i <= this.buckets.length; i++) {
        cumulative += s.counts[i] as number;
        const le = i < this.buckets.length ? sampleValue(this.buckets[i] as number) : '+Inf';
        lines.push(`${name}_bucket{le="${le}",${labels}} ${cumulative}`);
      }
      lines.push(`${name}_sum{${labels}} ${sampleValue(s.sum)}`, `${name}_count{${labels}} ${cumulative}`);
    }
    return `${lines.join('\n')}\n`;
  }
}
