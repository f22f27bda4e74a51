// A strict parser of the Prometheus text exposition format (version 0.0.4), written from the format's
// specification (prometheus.io/docs/instrumenting/exposition_formats, "Text-based format") because
// prom-client has none. It throws on anything the specification does not allow, so a test that parses
// /metrics with it fails on output Prometheus's own parser would reject:
//
// - lines end with \n; empty lines are ignored; `#` lines are HELP, TYPE or free comments
// - `# HELP name text` (text escapes: \\ and \n) and `# TYPE name type`, at most one of each per name,
//   TYPE before the name's first sample; type is counter, gauge, histogram, summary or untyped
// - sample: name [ {label="value",...[,]} ] value [ timestamp ]; names [a-zA-Z_:][a-zA-Z0-9_:]*, label
//   names [a-zA-Z_][a-zA-Z0-9_]* not starting with __, values with \\ \" \n escapes; value a Go float
//   (NaN, +Inf, -Inf included), timestamp an integer (ms)
// - a family's lines are one group; no two samples of a family share name and labels
// - histograms: _bucket samples carry `le`, buckets ascend with non-decreasing counts, the +Inf bucket
//   exists and equals _count; _sum and _count present for every label set

export type MetricType = 'counter' | 'gauge' | 'histogram' | 'summary' | 'untyped';

export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
  timestamp?: number;
}

export interface Family {
  name: string;
  type: MetricType;
  help?: string;
  samples: Sample[];
}

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const TYPES = new Set<MetricType>(['counter', 'gauge', 'histogram', 'summary', 'untyped']);
const FLOAT = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$/;

/**
 * A value "as required by Go's ParseFloat()" (the specification's words): decimal floats, and, in any
 * letter case, NaN (unsigned) and Inf or Infinity (signed or not). prom-client writes NaN as `Nan`,
 * which ParseFloat, and so Prometheus, accepts. Hexadecimal floats are refused here (stricter than Go).
 */
function parseFloatStrict(text: string, where: string): number {
  if (/^nan$/i.test(text)) return Number.NaN;
  const inf = /^([+-]?)inf(inity)?$/i.exec(text);
  if (inf) return inf[1] === '-' ? Number.NEGATIVE_INFINITY : Number.POSITIVE_INFINITY;
  if (!FLOAT.test(text)) throw new Error(`${where}: ${JSON.stringify(text)} is not a float`);
  return Number(text);
}

/** The family a sample belongs to: its own name, or a histogram's/summary's without the suffix. */
function familyOf(name: string, types: Map<string, MetricType>): string {
  for (const suffix of ['_bucket', '_sum', '_count']) {
    if (!name.endsWith(suffix)) continue;
    const base = name.slice(0, -suffix.length);
    const t = types.get(base);
    if (t === 'histogram' || (t === 'summary' && suffix !== '_bucket')) return base;
  }
  return name;
}

/** Reads `{a="x",b="y"}` from text at i (just after the name); returns the labels and the index after `}`. */
function parseLabels(text: string, start: number, where: string): [Record<string, string>, number] {
  const labels: Record<string, string> = {};
  let i = start + 1;
  for (;;) {
    if (text[i] === '}') return [labels, i + 1];
    const eq = text.indexOf('=', i);
    if (eq < 0) throw new Error(`${where}: label without =`);
    const name = text.slice(i, eq);
    if (!LABEL_NAME.test(name) || name.startsWith('__'))
      throw new Error(`${where}: bad label name ${JSON.stringify(name)}`);
    if (name in labels) throw new Error(`${where}: label ${name} twice`);
    if (text[eq + 1] !== '"') throw new Error(`${where}: label value not quoted`);
    let value = '';
    let j = eq + 2;
    for (;;) {
      const c = text[j];
      if (c === undefined) throw new Error(`${where}: unterminated label value`);
      if (c === '"') break;
      if (c === '\\') {
        const e = text[j + 1];
        if (e === '\\' || e === '"') value += e;
        else if (e === 'n') value += '\n';
        else throw new Error(`${where}: bad escape \\${e ?? ''}`);
        j += 2;
      } else {
        value += c;
        j += 1;
      }
    }
    labels[name] = value;
    i = j + 1;
    if (text[i] === ',') i += 1;
    else if (text[i] !== '}') throw new Error(`${where}: expected , or } after a label`);
  }
}

function checkHistogram(f: Family): void {
  const groups = new Map<string, { buckets: [number, number][]; sum?: number; count?: number }>();
  for (const s of f.samples) {
    const { le, ...rest } = s.labels;
    const key = JSON.stringify(Object.entries(rest).sort());
    const g = groups.get(key) ?? { buckets: [] };
    groups.set(key, g);
    if (s.name === `${f.name}_bucket`) {
      if (le === undefined) throw new Error(`${f.name}: a bucket without le`);
      g.buckets.push([parseFloatStrict(le, `${f.name} le`), s.value]);
    } else if (le !== undefined) throw new Error(`${s.name}: le outside a bucket`);
    else if (s.name === `${f.name}_sum`) g.sum = s.value;
    else if (s.name === `${f.name}_count`) g.count = s.value;
    else throw new Error(`${s.name}: not a sample of histogram ${f.name}`);
  }
  for (const [key, g] of groups) {
    const where = `${f.name}${key}`;
    for (let i = 1; i < g.buckets.length; i++) {
      const [le, n] = g.buckets[i] as [number, number];
      const [prevLe, prevN] = g.buckets[i - 1] as [number, number];
      if (!(le > prevLe) || n < prevN) throw new Error(`${where}: buckets not ascending and cumulative`);
    }
    const inf = g.buckets.at(-1);
    if (!inf || inf[0] !== Number.POSITIVE_INFINITY) throw new Error(`${where}: no +Inf bucket`);
    if (g.sum === undefined || g.count === undefined) throw new Error(`${where}: _sum or _count missing`);
    if (inf[1] !== g.count) throw new Error(`${where}: +Inf bucket ${inf[1]} ≠ _count ${g.count}`);
  }
}

/** Parses an exposition; throws, naming the line, on anything the text format does not allow. */
export function parsePrometheusText(text: string): Map<string, Family> {
  if (text.length > 0 && !text.endsWith('\n')) throw new Error('the exposition must end with a line feed');
  const families = new Map<string, Family>();
  const types = new Map<string, MetricType>();
  const helps = new Set<string>();
  const closed = new Set<string>();
  const seen = new Set<string>();
  let current: string | undefined;
  const enter = (name: string, where: string) => {
    if (current === name) return;
    if (closed.has(name)) throw new Error(`${where}: lines of ${name} are not grouped together`);
    if (current !== undefined) closed.add(current);
    current = name;
  };
  const lines = text.split('\n');
  lines.pop();
  lines.forEach((line, n) => {
    const where = `line ${n + 1}`;
    if (line.trim() === '') return;
    if (line.startsWith('#')) {
      const m = /^#\s+(HELP|TYPE)\s+(\S+)(?:\s(.*))?$/.exec(line);
      if (!m) return; // a free comment
      const [, kind, name = '', rest = ''] = m;
      if (!METRIC_NAME.test(name)) throw new Error(`${where}: bad metric name ${JSON.stringify(name)}`);
      enter(name, where);
      const f = families.get(name) ?? { name, type: 'untyped' as MetricType, samples: [] };
      families.set(name, f);
      if (kind === 'TYPE') {
        if (types.has(name)) throw new Error(`${where}: a second TYPE for ${name}`);
        if (f.samples.length > 0) throw new Error(`${where}: TYPE of ${name} after its samples`);
        if (!TYPES.has(rest as MetricType)) throw new Error(`${where}: unknown type ${JSON.stringify(rest)}`);
        types.set(name, rest as MetricType);
        f.type = rest as MetricType;
      } else {
        if (helps.has(name)) throw new Error(`${where}: a second HELP for ${name}`);
        if (/\\[^\\n]|\\$/.test(rest)) throw new Error(`${where}: bad escape in HELP`);
        helps.add(name);
        f.help = rest.replace(/\\(\\|n)/g, (_m, c: string) => (c === 'n' ? '\n' : '\\'));
      }
      return;
    }
    const nameEnd = /^[a-zA-Z_:][a-zA-Z0-9_:]*/.exec(line)?.[0].length ?? 0;
    if (nameEnd === 0) throw new Error(`${where}: no metric name`);
    const name = line.slice(0, nameEnd);
    let labels: Record<string, string> = {};
    let i = nameEnd;
    if (line[i] === '{') [labels, i] = parseLabels(line, i, where);
    const parts = line
      .slice(i)
      .trim()
      .split(/[ \t]+/);
    if (line[i] !== ' ' && line[i] !== '\t') throw new Error(`${where}: no space before the value`);
    if (parts.length < 1 || parts.length > 2 || parts[0] === '') throw new Error(`${where}: bad value part`);
    const value = parseFloatStrict(parts[0] as string, where);
    const sample: Sample = { name, labels, value };
    if (parts[1] !== undefined) {
      if (!/^-?\d+$/.test(parts[1])) throw new Error(`${where}: bad timestamp`);
      sample.timestamp = Number(parts[1]);
    }
    const family = familyOf(name, types);
    enter(family, where);
    const key = `${name}${JSON.stringify(Object.entries(labels).sort())}`;
    if (seen.has(key)) throw new Error(`${where}: a second sample ${key}`);
    seen.add(key);
    const f = families.get(family) ?? { name: family, type: 'untyped' as MetricType, samples: [] };
    families.set(family, f);
    f.samples.push(sample);
  });
  for (const f of families.values()) if (f.type === 'histogram') checkHistogram(f);
  return families;
}
