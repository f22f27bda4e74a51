// Drives a load with autocannon and turns what it saw into a ScenarioResult: status and body checks,
// latencies measured here to the microsecond, the server's CPU and peak RSS meanwhile.
import autocannon, { type AutocannonRequest, type AutocannonResult, type Instance } from 'autocannon';
import type { BenchOptions, ScenarioResult } from './options.js';
import { cpuSeconds, postgresCpuSeconds, rssSampler } from './proc-stats.js';
import type { Load } from './scenario.js';

/** A process under load: its base URL and pid (for its CPU time and memory). */
export interface Target {
  url: string;
  pid: number;
}

/**
 * One process, or several serving the same database (--processes): autocannon spreads the connections
 * over their URLs (connection i to URL i mod n), their CPU times add up, and the RSS reported is the
 * largest of any one process.
 */
export type Targets = Target | Target[];

const all = (t: Targets): Target[] => (Array.isArray(t) ? t : [t]);

const CHECK_EVERY = 10;

async function drive(
  url: string | string[],
  load: Load,
  seconds: number,
  connections: number,
  rate?: number,
): Promise<{
  result: AutocannonResult;
  wrongStatus: number;
  checked: number;
  badBodies: number;
  elapsed: number;
  sentinels: number;
  samples: string[];
  /** every response's latency, ms */
  latencies: number[];
}> {
  // Latencies measured here, to the microsecond: autocannon's histogram keeps whole milliseconds,
  // too coarse for a p99 of a few ms (5 vs 7 ms reads as 1.4x). From building the request (just
  // before autocannon writes it) to its response; the first request of each connection includes
  // the connection's setup.
  const latencies: number[] = [];
  let wrongStatus = 0;
  let checked = 0;
  let badBodies = 0;
  let sentinels = 0;
  let seen = 0;
  let exhaustedAt = 0;
  const samples: string[] = [];
  let inst: Instance | undefined;
  const started = performance.now();
  const request: AutocannonRequest = {
    setupRequest: (req, context) => {
      context.sentAt = performance.now();
      const built = load.next(context);
      if (built) return { ...req, ...built };
      context.sentinel = true;
      if (!exhaustedAt) {
        exhaustedAt = performance.now();
        setImmediate(() => inst?.stop());
      }
      return { ...req, method: 'GET', path: '/healthz', headers: {}, body: undefined };
    },
    onResponse: (status, body, context) => {
      if (context.sentinel) {
        sentinels++;
        return;
      }
      latencies.push(performance.now() - (context.sentAt as number));
      if (status !== load.expect) {
        wrongStatus++;
        if (samples.length < 3) samples.push(`${status} ${body.slice(0, 300)}`);
        return;
      }
      load.onOk?.(body, context);
      if (seen++ % CHECK_EVERY === 0) {
        checked++;
        let ok = false;
        try {
          ok = load.check(JSON.parse(body), context);
        } catch {
          ok = false;
        }
        if (!ok) {
          badBodies++;
          if (samples.length < 3) samples.push(`bad body: ${body.slice(0, 300)}`);
        }
      }
    },
  };
  inst = autocannon({
    url,
    connections,
    duration: seconds,
    pipelining: 1,
    timeout: 20,
    requests: [request],
    ...(rate ? { overallRate: rate } : {}),
  });
  const result = await inst;
  const elapsed = ((exhaustedAt || performance.now()) - started) / 1000;
  return { result, wrongStatus, checked, badBodies, elapsed, sentinels, samples, latencies };
}

const urls = (t: Targets): string | string[] => {
  const list = all(t).map((s) => s.url);
  return list.length === 1 ? (list[0] as string) : list;
};

const round2 = (n: number) => Math.round(n * 100) / 100;

/** p50 and p99 of the latencies of every slice of a scenario */
function percentiles(latencies: number[][]): { p50: number; p99: number } {
  const sorted = Float64Array.from(latencies.flat()).sort();
  const at = (q: number) => sorted[Math.max(0, Math.ceil(q * sorted.length) - 1)] ?? 0;
  return { p50: round2(at(0.5)), p99: round2(at(0.99)) };
}

async function warmUp(name: string, target: Targets, load: Load, opts: BenchOptions): Promise<void> {
  if (opts.warmup <= 0) return;
  const w = await drive(urls(target), load, opts.warmup, opts.connections, opts.rate);
  if (w.wrongStatus > 0 || w.result.errors > 0)
    opts.log(
      `  ${name} warm-up: ${w.wrongStatus} unexpected statuses, ${w.result.errors} errors: ${w.samples.join(' | ')}`,
    );
}

/** One measured stretch of a scenario: the load, the server's CPU and peak RSS meanwhile. */
async function measure(target: Targets, load: Load, seconds: number, opts: BenchOptions) {
  const servers = all(target);
  const rss = servers.map((s) => rssSampler(s.pid));
  const serverCpu = () => servers.reduce((sum, s) => sum + cpuSeconds(s.pid), 0);
  const databaseCpu = opts.db === 'postgres' ? postgresCpuSeconds : () => 0;
  const serverCpu0 = serverCpu();
  const databaseCpu0 = databaseCpu();
  const clientCpu0 = process.cpuUsage();
  const d = await drive(urls(target), load, seconds, opts.connections, opts.rate);
  const clientCpu = process.cpuUsage(clientCpu0);
  return {
    ...d,
    serverCpu: serverCpu() - serverCpu0,
    databaseCpu: databaseCpu() - databaseCpu0,
    clientCpu: (clientCpu.user + clientCpu.system) / 1e6,
    rssMb: Math.max(...rss.map((r) => r.stop())),
  };
}

type Measured = Awaited<ReturnType<typeof measure>>;

/** A scenario's result from its measured stretches (one, or the halves of a paired scenario). */
function resultOf(name: string, parts: Measured[], opts: BenchOptions): ScenarioResult {
  const sum = (f: (m: Measured) => number) => parts.reduce((acc, m) => acc + f(m), 0);
  const counted = sum((m) => m.result.requests.total - m.sentinels);
  const elapsed = sum((m) => m.elapsed);
  const perRequest = (seconds: number) => Math.round((seconds * 1e6) / Math.max(counted, 1));
  const { p50, p99 } = percentiles(parts.map((m) => m.latencies));
  const out: ScenarioResult = {
    scenario: name,
    reqPerSec: Math.round(counted / Math.max(elapsed, 0.001)),
    p50Ms: p50,
    p99Ms: p99,
    non2xx: sum((m) => m.result.non2xx),
    errors: sum((m) => m.result.errors + m.result.timeouts),
    rssMb: Math.max(...parts.map((m) => m.rssMb)),
    wrongStatus: sum((m) => m.wrongStatus),
    checked: sum((m) => m.checked),
    badBodies: sum((m) => m.badBodies),
    requests: counted,
    serverCpuUs: perRequest(sum((m) => m.serverCpu)),
    clientCpuUs: perRequest(sum((m) => m.clientCpu)),
  };
  if (opts.db === 'postgres') out.databaseCpuUs = perRequest(sum((m) => m.databaseCpu));
  if (parts.some((m) => m.sentinels > 0))
    out.note = `pool exhausted after ${elapsed.toFixed(1)} s; rate over that time`;
  const samples = parts.flatMap((m) => m.samples);
  if (samples.length > 0) opts.log(`  ${name}: unexpected responses: ${samples.join(' | ')}`);
  return out;
}

/** Warms a scenario up, then measures it for opts.duration. */
export async function measureOne(
  name: string,
  load: Load,
  target: Targets,
  opts: BenchOptions,
): Promise<ScenarioResult> {
  await warmUp(name, target, load, opts);
  return resultOf(name, [await measure(target, load, opts.duration, opts)], opts);
}

/**
 * Two scenarios whose latencies are compared (a large organization's list against a small one's):
 * measured in alternating halves, A B A B, so a stretch of a slower machine falls on both alike
 * instead of on whichever ran at that moment. Each side may be served by its own process (a third
 * element: --scale compares a 1,000-invitation database with a 1,000,000-invitation one).
 */
export async function measurePair(
  a: [string, Load, Targets?],
  b: [string, Load, Targets?],
  target: Targets,
  opts: BenchOptions,
  /** waits, before each stretch, until what the last one left behind is done (--scale) */
  settle: () => Promise<void> = async () => undefined,
): Promise<[ScenarioResult, ScenarioResult]> {
  const sides = [a, b] as const;
  for (const [name, load, own] of sides) {
    await settle();
    await warmUp(name, own ?? target, load, opts);
  }
  const parts: [Measured[], Measured[]] = [[], []];
  for (let half = 0; half < 2; half++)
    for (const [i, [, load, own]] of sides.entries()) {
      await settle();
      parts[i]?.push(await measure(own ?? target, load, opts.duration / 2, opts));
    }
  return [resultOf(a[0], parts[0], opts), resultOf(b[0], parts[1], opts)];
}
