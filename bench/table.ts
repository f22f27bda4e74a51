// The Markdown table `npm run bench` prints after the JSON lines: every scenario with its ratio to the
// ceiling it is bounded by, and each large admin list's p99 against its small one's.
import type { ScenarioResult } from './options.js';
import { ADMIN_PAIRS } from './scenarios/admin-list.js';

function fmt(n: number, digits = 0): string {
  return n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
}

export function markdownTable(results: ScenarioResult[]): string {
  const by = new Map(results.map((r) => [r.scenario, r]));
  // the mean of the ceiling measured before the scenarios and again after them (when both exist)
  const ceiling = (name: string) => {
    const seen = [by.get(name), by.get(`${name} (end)`)].flatMap((r) => (r ? [r.reqPerSec] : []));
    return seen.length ? seen.reduce((a, b) => a + b, 0) / seen.length : 0;
  };
  const read = ceiling('ceiling-fastify');
  const write = ceiling('ceiling-commit');
  // PostgreSQL runs say what the database's processes spent per request too (measure.ts)
  const postgres = results.some((r) => r.databaseCpuUs !== undefined);
  const smallOf = new Map(ADMIN_PAIRS.map((p) => [p.big as string, by.get(p.small)]));
  const ratio = (r: ScenarioResult): string => {
    if (r.scenario.startsWith('ceiling')) {
      const mean = r.scenario.startsWith('ceiling-fastify') ? read : write;
      return by.has(`${r.scenario.replace(' (end)', '')} (end)`)
        ? `ceiling; ratios use the mean of start and end, ${fmt(mean)}`
        : '1.00 (ceiling)';
    }
    const base = r.scenario === 'create' || r.scenario === 'accept' ? write : read;
    const name = r.scenario === 'create' || r.scenario === 'accept' ? 'commit' : 'fastify';
    return base ? `${(r.reqPerSec / base).toFixed(2)} of ${name}` : 'n/a';
  };
  const lines = [
    `| scenario | req/s | p50 ms | p99 ms | non-2xx | errors | bad bodies | server RSS MB | server CPU µs/req |${postgres ? ' PostgreSQL CPU µs/req |' : ''} ratio |`,
    `| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |${postgres ? ' ---: |' : ''} --- |`,
  ];
  for (const r of results) {
    let ratioText = ratio(r);
    const small = smallOf.get(r.scenario);
    if (small && small.p99Ms > 0) ratioText += `; p99 ${(r.p99Ms / small.p99Ms).toFixed(2)}× the 1k case`;
    lines.push(
      `| ${r.scenario} | ${fmt(r.reqPerSec)} | ${fmt(r.p50Ms, 2)} | ${fmt(r.p99Ms, 2)} | ${r.non2xx + r.wrongStatus} | ${r.errors} | ${r.badBodies}/${r.checked} | ${r.rssMb} | ${r.serverCpuUs ?? '—'} |${postgres ? ` ${r.databaseCpuUs ?? '—'} |` : ''} ${ratioText} |`,
    );
  }
  return lines.join('\n');
}
