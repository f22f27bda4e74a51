// The benchmark behind `npm run bench` (SPEC §9, issue 5). Admit runs as `node dist/main.js` in its own
// child process on a fresh database; autocannon drives it from this process. Seeding goes through the
// service's HTTP API, except the two admin-list organizations, which are bulk-inserted through Kysely
// with the row shape the service writes (see seedBulk). Every scenario checks status codes and a
// sample of response bodies, so a fast error never passes as a result.
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import autocannon, { type AutocannonRequest, type AutocannonResult, type Instance } from 'autocannon';
import { sql } from 'kysely';
import pg from 'pg';
import { type Config, loadConfig } from '../src/config.js';
import { newPendingInvitation } from '../src/modules/invitations/invitation.model.js';
import { newInvitationToken, sha256Hex } from '../src/platform/crypto.js';
import { cryptoIds } from '../src/platform/ids.js';
import { createLogger, createRuntime, type Runtime } from '../src/runtime.js';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');

export interface BenchOptions {
  /** seconds per scenario */
  duration: number;
  connections: number;
  /**
   * a fixed offered load (requests/s) instead of as fast as possible: for comparing builds by the
   * server's CPU per request, which then depends less on how fast the client is at that moment
   */
  rate?: number;
  db: 'sqlite' | 'postgres';
  /** seconds of warm-up before each scenario */
  warmup: number;
  /** run only these scenarios (the ceilings are always run, the ratios need them) */
  only?: string[];
  /** directory for the server's --cpu-prof output; unset = no profiling */
  cpuProfDir?: string;
  /** invitees with three pending invitations each (preview and invitee-list) */
  invitees: number;
  /** size of the large and small admin-list organizations */
  bigOrg: number;
  smallOrg: number;
  /** PostgreSQL base URL (default BENCH_DATABASE_URL, else postgres://postgres@127.0.0.1:5432/admit_bench) */
  postgresUrl?: string;
  /** the server entry point (default dist/main.js); another build for A/B comparisons */
  main?: string;
  /** extra environment for the Admit server process (e.g. OUTBOX_POLL) */
  serverEnv?: Record<string, string>;
  /** progress lines (stderr in the CLI) */
  log: (line: string) => void;
  /** one JSON line per scenario (stdout in the CLI) */
  emit: (line: string) => void;
}

export const DEFAULTS: BenchOptions = {
  duration: 10,
  connections: 50,
  db: 'sqlite',
  warmup: 2,
  invitees: 1000,
  bigOrg: 100_000,
  smallOrg: 1_000,
  log: (line) => process.stderr.write(`${line}\n`),
  emit: (line) => process.stdout.write(`${line}\n`),
};

export interface ScenarioResult {
  scenario: string;
  reqPerSec: number;
  p50Ms: number;
  p99Ms: number;
  non2xx: number;
  errors: number;
  rssMb: number;
  /** responses whose status was not the intended one (2xx included: 200 where 201 is due counts) */
  wrongStatus: number;
  /** bodies parsed and checked / of which failed the check */
  checked: number;
  badBodies: number;
  requests: number;
  /** CPU time (user + system) per counted request, in µs: the server's process, and this (client) process */
  serverCpuUs?: number;
  clientCpuUs?: number;
  note?: string;
}

export interface BenchReport {
  settings: Record<string, string | number>;
  results: ScenarioResult[];
  table: string;
}

const SCENARIOS = [
  'ceiling-fastify',
  'ceiling-commit',
  'preview',
  'invitee-list',
  'admin-list-100k',
  'admin-list-1k',
  'admin-list-100k-filtered',
  'admin-list-1k-filtered',
  'create',
  'accept',
  'ceiling-fastify (end)',
  'ceiling-commit (end)',
] as const;

/**
 * Each large organization's list and the small one's it is compared with (p99 within 1.5x: a page's
 * cost must not grow with the organization's size), with the query both are asked.
 */
const ADMIN_PAIRS = [
  { big: 'admin-list-100k', small: 'admin-list-1k', query: '' },
  { big: 'admin-list-100k-filtered', small: 'admin-list-1k-filtered', query: '&status=pending' },
] as const;

// ---------------------------------------------------------------------------------------- processes

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      const port = typeof a === 'object' && a ? a.port : 0;
      s.close(() => resolve(port));
    });
  });
}

function statusKb(pid: number, field: 'VmRSS' | 'VmHWM'): number {
  try {
    const m = new RegExp(`${field}:\\s+(\\d+) kB`).exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : 0;
  } catch {
    return 0;
  }
}

let clockTicks: number | undefined;
/** The kernel's clock ticks per second, asked once, when first needed. */
function ticksPerSecond(): number {
  if (clockTicks === undefined) {
    try {
      clockTicks = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      clockTicks = 100;
    }
  }
  return clockTicks;
}

/** utime + stime of a process, in seconds (/proc/<pid>/stat fields 14 and 15, in clock ticks). */
function cpuSeconds(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // the command name (field 2) may hold spaces: count from the closing parenthesis
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / ticksPerSecond();
  } catch {
    return 0;
  }
}

/** Samples a process's resident set every 100 ms; peak() is the largest sample (MB). */
function rssSampler(pid: number) {
  let peak = statusKb(pid, 'VmRSS');
  const timer = setInterval(() => {
    peak = Math.max(peak, statusKb(pid, 'VmRSS'));
  }, 100);
  return {
    stop(): number {
      clearInterval(timer);
      peak = Math.max(peak, statusKb(pid, 'VmRSS'));
      return Math.round(peak / 1024);
    },
  };
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  await new Promise<void>((resolve) => {
    const kill = setTimeout(() => child.kill('SIGKILL'), 15_000);
    child.once('exit', () => {
      clearTimeout(kill);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

async function waitReady(url: string, child: ChildProcess, what: string): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`${what} exited with ${child.exitCode} before it was ready`);
    try {
      const res = await fetch(url);
      if (res.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${what} not ready after 30 s`);
}

function firstLine(child: ChildProcess): Promise<string> {
  return new Promise((resolve, reject) => {
    let buf = '';
    child.stdout?.on('data', (d: Buffer) => {
      buf += d.toString();
      const i = buf.indexOf('\n');
      if (i >= 0) resolve(buf.slice(0, i));
    });
    child.once('exit', (code) => reject(new Error(`child exited with ${code}: ${buf}`)));
  });
}

/**
 * The Node.js flags of `npm start` (package.json's start script, e.g. the young generation's size),
 * so the benchmarked server runs as it is started in use.
 */
function startFlags(): string[] {
  const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { scripts: { start: string } };
  return pkg.scripts.start.split(/\s+/).filter((word) => word.startsWith('--'));
}

// ---------------------------------------------------------------------------------------- database

interface BenchDb {
  url: string;
  describe: string;
  cleanup(): Promise<void>;
}

async function freshDb(kind: 'sqlite' | 'postgres', postgresUrl?: string): Promise<BenchDb> {
  if (kind === 'sqlite') {
    const dir = mkdtempSync(join(tmpdir(), 'admit-bench-'));
    return {
      url: `sqlite:${join(dir, 'admit.db')}`,
      describe: `SQLite ${join(dir, 'admit.db')} (WAL, synchronous=FULL)`,
      cleanup: async () => rmSync(dir, { recursive: true, force: true }),
    };
  }
  const base =
    postgresUrl ?? process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/admit_bench';
  const target = new URL(base);
  const dbName = decodeURIComponent(target.pathname.slice(1)) || 'admit_bench';
  const admin = new URL(base);
  admin.pathname = '/postgres';
  const c = new pg.Client({ connectionString: admin.toString() });
  await c.connect();
  try {
    const exists = await c.query('select 1 from pg_database where datname = $1', [dbName]);
    if (exists.rowCount === 0) await c.query(`create database "${dbName.replace(/"/g, '""')}"`);
  } finally {
    await c.end();
  }
  const schema = `bench_${randomBytes(5).toString('hex')}`;
  const q = async (text: string) => {
    const client = new pg.Client({ connectionString: base });
    await client.connect();
    try {
      await client.query(text);
    } finally {
      await client.end();
    }
  };
  await q(`create schema ${schema}`);
  const url = new URL(base);
  url.searchParams.set('options', `-c search_path=${schema}`);
  return {
    url: url.toString(),
    describe: `PostgreSQL ${target.host}/${dbName}, fresh schema ${schema}`,
    cleanup: () => q(`drop schema ${schema} cascade`),
  };
}

// ---------------------------------------------------------------------------------------- seeding

class Api {
  constructor(readonly base: string) {}
  async call<T>(
    method: string,
    path: string,
    token: string,
    body?: unknown,
  ): Promise<{ status: number; json: T }> {
    const res = await fetch(this.base + path, {
      method,
      headers: {
        authorization: `Bearer ${token}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, json: (text ? JSON.parse(text) : null) as T };
  }
  async expect<T>(status: number, method: string, path: string, token: string, body?: unknown): Promise<T> {
    const res = await this.call<T>(method, path, token, body);
    if (res.status !== status)
      throw new Error(`${method} ${path}: ${res.status}, expected ${status}: ${JSON.stringify(res.json)}`);
    return res.json;
  }
}

async function parallel<T>(
  items: T[],
  width: number,
  fn: (item: T, i: number) => Promise<void>,
): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      await fn(items[i] as T, i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(width, items.length) }, worker));
}

const TOKEN_IN_URL = /\/invite\/(inv_[A-Za-z0-9_-]{43})/;

/**
 * The admin-list organizations: `count` pending invitations inserted in bulk on the same database,
 * with the row shape the service writes (random `inv_` token → SHA-256 token_hash, the organization's
 * member role, the owner as inviter, distinct created_at), because creating 100,000 over HTTP would
 * take minutes. No outbox rows (as with sendEmail:false).
 */
async function seedBulk(
  rt: Runtime,
  organizationId: string,
  inviterId: string,
  count: number,
): Promise<void> {
  const k = rt.db.kysely;
  const role = await k
    .selectFrom('roles')
    .select('id')
    .where('organization_id', '=', organizationId)
    .where('key', '=', 'member')
    .executeTakeFirstOrThrow();
  const now = Date.now();
  const BATCH = 500;
  for (let start = 0; start < count; start += 10 * BATCH) {
    await k.transaction().execute(async (trx) => {
      for (let b = start; b < Math.min(count, start + 10 * BATCH); b += BATCH) {
        const rows = [];
        for (let i = b; i < Math.min(count, b + BATCH); i++) {
          rows.push(
            newPendingInvitation({
              id: cryptoIds.uuid(),
              organization_id: organizationId,
              workspace_id: null,
              email: `bulk-${i}@${organizationId.slice(0, 8)}.bench.example`,
              role_id: role.id,
              inviter_id: inviterId,
              token_hash: sha256Hex(newInvitationToken()),
              created_at: now - (count - i) * 10,
              expire_at: now + 7 * 86_400_000,
              delivery_status: 'none',
            }),
          );
        }
        await trx.insertInto('invitations').values(rows).execute();
      }
    });
  }
}

// ---------------------------------------------------------------------------------------- scenarios

interface Load {
  /** builds the next request; null = pool exhausted (the run stops early) */
  next(context: Record<string, unknown>): AutocannonRequest | null;
  expect: number;
  /** checks a parsed body; context is the one the request was built with */
  check(body: unknown, context: Record<string, unknown>): boolean;
  /** sees every response with the intended status (e.g. to collect created tokens) */
  onOk?(body: string, context: Record<string, unknown>): void;
}

const CHECK_EVERY = 10;

async function drive(
  name: string,
  url: string,
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
  void name;
  return { result, wrongStatus, checked, badBodies, elapsed, sentinels, samples, latencies };
}

const round2 = (n: number) => Math.round(n * 100) / 100;

/** p50 and p99 of the latencies of every slice of a scenario */
function percentiles(latencies: number[][]): { p50: number; p99: number } {
  const sorted = Float64Array.from(latencies.flat()).sort();
  const at = (q: number) => sorted[Math.max(0, Math.ceil(q * sorted.length) - 1)] ?? 0;
  return { p50: round2(at(0.5)), p99: round2(at(0.99)) };
}

async function warmUp(name: string, url: string, load: Load, opts: BenchOptions): Promise<void> {
  if (opts.warmup <= 0) return;
  const w = await drive(`${name} (warm-up)`, url, load, opts.warmup, opts.connections, opts.rate);
  if (w.wrongStatus > 0 || w.result.errors > 0)
    opts.log(
      `  ${name} warm-up: ${w.wrongStatus} unexpected statuses, ${w.result.errors} errors: ${w.samples.join(' | ')}`,
    );
}

/** One measured stretch of a scenario: the load, the server's CPU and peak RSS meanwhile. */
async function measure(
  name: string,
  url: string,
  load: Load,
  seconds: number,
  opts: BenchOptions,
  pid: number,
) {
  const rss = rssSampler(pid);
  const serverCpu0 = cpuSeconds(pid);
  const clientCpu0 = process.cpuUsage();
  const d = await drive(name, url, load, seconds, opts.connections, opts.rate);
  const clientCpu = process.cpuUsage(clientCpu0);
  return {
    ...d,
    serverCpu: cpuSeconds(pid) - serverCpu0,
    clientCpu: (clientCpu.user + clientCpu.system) / 1e6,
    rssMb: rss.stop(),
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
  if (parts.some((m) => m.sentinels > 0))
    out.note = `pool exhausted after ${elapsed.toFixed(1)} s; rate over that time`;
  const samples = parts.flatMap((m) => m.samples);
  if (samples.length > 0) opts.log(`  ${name}: unexpected responses: ${samples.join(' | ')}`);
  return out;
}

async function scenario(
  name: string,
  url: string,
  load: Load,
  opts: BenchOptions,
  pid: number,
): Promise<ScenarioResult> {
  await warmUp(name, url, load, opts);
  return resultOf(name, [await measure(name, url, load, opts.duration, opts, pid)], opts);
}

/**
 * Two scenarios whose latencies are compared (a large organization's list against a small one's):
 * measured in alternating halves, A B A B, so a stretch of a slower machine falls on both alike
 * instead of on whichever ran at that moment.
 */
async function scenarioPair(
  a: [string, Load],
  b: [string, Load],
  url: string,
  opts: BenchOptions,
  pid: number,
): Promise<[ScenarioResult, ScenarioResult]> {
  await warmUp(a[0], url, a[1], opts);
  await warmUp(b[0], url, b[1], opts);
  const parts: [Measured[], Measured[]] = [[], []];
  for (let half = 0; half < 2; half++)
    for (const [i, [name, load]] of [a, b].entries())
      parts[i]?.push(await measure(name, url, load, opts.duration / 2, opts, pid));
  return [resultOf(a[0], parts[0], opts), resultOf(b[0], parts[1], opts)];
}

// ---------------------------------------------------------------------------------------- ceilings

async function ceilingFastify(opts: BenchOptions): Promise<ScenarioResult> {
  const child = spawn(process.execPath, [join(ROOT, 'bench/ceiling-fastify.mjs')], {
    cwd: ROOT,
    env: { ...process.env, LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  try {
    const { port } = JSON.parse(await firstLine(child)) as { port: number };
    const load: Load = {
      next: () => ({ method: 'GET', path: '/ceiling' }),
      expect: 200,
      check: (b) => (b as { ok?: unknown }).ok === true,
    };
    return await scenario('ceiling-fastify', `http://127.0.0.1:${port}`, load, opts, child.pid ?? 0);
  } finally {
    await stopChild(child);
  }
}

async function ceilingCommit(opts: BenchOptions, db: BenchDb): Promise<ScenarioResult> {
  // its own table (SQLite: its own file beside the service's; PostgreSQL: the bench schema)
  const url = db.url.startsWith('sqlite:') ? `${db.url.slice(0, -'.db'.length)}-ceiling.db` : db.url;
  const child = spawn(
    process.execPath,
    [join(ROOT, 'bench/ceiling-commit.mjs'), url, String(opts.duration), String(opts.connections)],
    { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const line = await firstLine(child);
  await new Promise((r) => (child.exitCode === null ? child.once('exit', r) : r(null)));
  const r = JSON.parse(line) as {
    commits: number;
    commitsPerSec: number;
    p50Ms: number;
    p99Ms: number;
    rssMb: number;
  };
  return {
    scenario: 'ceiling-commit',
    reqPerSec: r.commitsPerSec,
    p50Ms: r.p50Ms,
    p99Ms: r.p99Ms,
    non2xx: 0,
    errors: 0,
    rssMb: r.rssMb,
    wrongStatus: 0,
    checked: 0,
    badBodies: 0,
    requests: r.commits,
    note: 'commits/s',
  };
}

// ---------------------------------------------------------------------------------------- the run

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
    '| scenario | req/s | p50 ms | p99 ms | non-2xx | errors | bad bodies | server RSS MB | server CPU µs/req | ratio |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |',
  ];
  for (const r of results) {
    let ratioText = ratio(r);
    const small = smallOf.get(r.scenario);
    if (small && small.p99Ms > 0) ratioText += `; p99 ${(r.p99Ms / small.p99Ms).toFixed(2)}× the 1k case`;
    lines.push(
      `| ${r.scenario} | ${fmt(r.reqPerSec)} | ${fmt(r.p50Ms, 2)} | ${fmt(r.p99Ms, 2)} | ${r.non2xx + r.wrongStatus} | ${r.errors} | ${r.badBodies}/${r.checked} | ${r.rssMb} | ${r.serverCpuUs ?? '—'} | ${ratioText} |`,
    );
  }
  return lines.join('\n');
}

export async function runBench(options: Partial<BenchOptions> = {}): Promise<BenchReport> {
  const opts: BenchOptions = { ...DEFAULTS, ...options };
  const want = (s: string) => !opts.only || opts.only.includes(s) || s.startsWith('ceiling');
  const mainJs = opts.main ?? join(ROOT, 'dist/main.js');
  const db = await freshDb(opts.db, opts.postgresUrl);
  const port = await freePort();
  const publicUrl = `http://127.0.0.1:${port}`;
  const env: Record<string, string> = {
    PORT: String(port),
    HOST: '127.0.0.1',
    PUBLIC_URL: publicUrl,
    DATABASE_URL: db.url,
    ADMIT_SECRET: randomBytes(32).toString('base64url'),
    RATE_LIMIT_PUBLIC: 'off',
    INVITE_QUOTA_ORG: 'off',
    INVITE_QUOTA_RECIPIENT: 'off',
    LOG_LEVEL: 'warn',
    ...opts.serverEnv,
  };
  const serverFlags = startFlags();
  const settings = {
    node: process.version,
    cpus: (await import('node:os')).cpus().length,
    database: db.describe,
    duration: opts.duration,
    warmup: opts.warmup,
    connections: opts.connections,
    ...(opts.rate ? { offeredRate: opts.rate } : {}),
    rateLimitPublic: 'off',
    inviteQuotaOrg: 'off',
    inviteQuotaRecipient: 'off',
    logLevel: 'warn',
    serverNodeFlags: serverFlags.join(' ') || 'none',
  };
  opts.log(
    `admit bench: ${db.describe}; ${opts.duration} s per scenario after ${opts.warmup} s warm-up, ${opts.connections} connections${opts.rate ? `, offered load fixed at ${opts.rate} req/s` : ''}; ` +
      'RATE_LIMIT_PUBLIC=off INVITE_QUOTA_ORG=off INVITE_QUOTA_RECIPIENT=off LOG_LEVEL=warn (rate limits and quotas off for the run)',
  );
  const results: ScenarioResult[] = [];
  const emit = (r: ScenarioResult) => {
    results.push(r);
    opts.emit(JSON.stringify(r));
  };

  let rt: Runtime | undefined;
  let server: ChildProcess | undefined;
  try {
    emit(await ceilingFastify(opts));
    emit(await ceilingCommit(opts, db));

    // This process's runtime on the same database: migrations, the built-in issuer's keys (to sign
    // bearer tokens) and the bulk insert. The server loads the same keys (same ADMIT_SECRET).
    const config: Config = loadConfig({ ...env, LOG_LEVEL: 'warn' });
    rt = await createRuntime(config, { logger: createLogger({ logLevel: 'warn' }) });
    const issuer = rt.issuer;
    if (!issuer) throw new Error('the built-in issuer is required');
    const sign = (email: string) =>
      issuer.sign({ email, name: email.split('@')[0] ?? null, ttlSeconds: 4 * 3600 });

    const nodeArgs = [
      ...serverFlags,
      ...(opts.cpuProfDir ? ['--cpu-prof', '--cpu-prof-dir', opts.cpuProfDir] : []),
    ];
    server = spawn(process.execPath, [...nodeArgs, mainJs], {
      cwd: ROOT,
      env: { ...process.env, ...env },
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    await waitReady(`${publicUrl}/healthz`, server, 'admit');
    const pid = server.pid ?? 0;
    const api = new Api(publicUrl);

    // --- seed through the HTTP API
    const t0 = performance.now();
    const ownerEmail = 'owner@bench.example';
    const owner = await sign(ownerEmail);
    const org = async (name: string) =>
      (await api.expect<{ id: string }>(201, 'POST', '/v1/organizations', owner, { name })).id;
    const main = await org('Bench Main');
    const sideA = await org('Bench Side A');
    const sideB = await org('Bench Side B');
    const big = await org('Bench 100k');
    const small = await org('Bench 1k');
    const creates = await org('Bench Create');
    const ownerRow = await rt.db.kysely
      .selectFrom('users')
      .select('id')
      .where('email', '=', ownerEmail)
      .executeTakeFirstOrThrow();

    const invitees = Array.from({ length: opts.invitees }, (_, i) => `invitee-${i}@bench.example`);
    const previewTokens: { token: string; email: string; org: string }[] = [];
    const jobs = invitees.flatMap((email) => [main, sideA, sideB].map((o) => ({ email, o })));
    await parallel(jobs, 8, async ({ email, o }) => {
      const inv = await api.expect<{ url: string }>(
        201,
        'POST',
        `/v1/organizations/${o}/invitations`,
        owner,
        {
          email,
          role: 'member',
          // no mail for the seed: the dispatcher stays idle during the read scenarios
          sendEmail: false,
        },
      );
      const token = TOKEN_IN_URL.exec(inv.url)?.[1];
      if (!token) throw new Error(`no token in ${inv.url}`);
      previewTokens.push({ token, email, org: o });
    });
    const orgNames = new Map([
      [main, 'Bench Main'],
      [sideA, 'Bench Side A'],
      [sideB, 'Bench Side B'],
    ]);
    const inviteeTokens: { email: string; bearer: string }[] = [];
    for (const email of invitees) inviteeTokens.push({ email, bearer: await sign(email) });
    opts.log(
      `  seeded ${jobs.length} invitations over HTTP for ${invitees.length} invitees in ${((performance.now() - t0) / 1000).toFixed(1)} s`,
    );
    const wantBig = ADMIN_PAIRS.some((p) => want(p.big));
    const wantSmall = ADMIN_PAIRS.some((p) => want(p.small));
    if (wantBig || wantSmall) {
      const t1 = performance.now();
      if (wantBig) await seedBulk(rt, big, ownerRow.id, opts.bigOrg);
      if (wantSmall) await seedBulk(rt, small, ownerRow.id, opts.smallOrg);
      // What an operator does after a bulk load, and what autovacuum would do within a minute (it
      // is off on some machines): without statistics PostgreSQL guesses one row for
      // (organization, status) and sorted all 100,000 rows of the filtered list (8 req/s).
      if (rt.db.dialect === 'postgres') await sql`analyze invitations`.execute(rt.db.kysely);
      opts.log(
        `  bulk-inserted ${opts.bigOrg} + ${opts.smallOrg} invitations in ${((performance.now() - t1) / 1000).toFixed(1)} s`,
      );
    }

    // --- scenarios
    if (want('preview')) {
      let i = 0;
      emit(
        await scenario(
          'preview',
          publicUrl,
          {
            next: (ctx) => {
              const t = previewTokens[i++ % previewTokens.length]!;
              ctx.t = t;
              return { method: 'GET', path: `/api/v1/invitations/${t.token}` };
            },
            expect: 200,
            check: (b, ctx) => {
              const t = ctx.t as (typeof previewTokens)[number];
              const inv = (
                b as {
                  success?: boolean;
                  data?: { invitation?: { email?: string; organization?: { id?: string } } };
                }
              ).data?.invitation;
              return inv?.email === t.email && inv.organization?.id === t.org;
            },
          },
          opts,
          pid,
        ),
      );
    }

    if (want('invitee-list')) {
      let i = 0;
      emit(
        await scenario(
          'invitee-list',
          publicUrl,
          {
            next: (ctx) => {
              const u = inviteeTokens[i++ % inviteeTokens.length]!;
              ctx.u = u;
              return {
                method: 'GET',
                path: '/invitations',
                headers: { authorization: `Bearer ${u.bearer}` },
              };
            },
            expect: 200,
            check: (b) => {
              const list = b as { organization_name?: string; organization_member_count?: number }[];
              return (
                Array.isArray(list) &&
                list.length === 3 &&
                list.every(
                  (x) =>
                    [...orgNames.values()].includes(x.organization_name ?? '') &&
                    x.organization_member_count === 1,
                )
              );
            },
          },
          opts,
          pid,
        ),
      );
    }

    // Unfiltered pages are kept while unchanged (SQLite, DECISIONS.md), so the two admin-list
    // scenarios measure a kept page checked against the list version; `?status=pending` (every row
    // here is pending: the same 100 rows) is never kept and reads SQLite on every request.
    const adminList = (orgId: string, size: number, query = ''): Load => ({
      next: () => ({
        method: 'GET',
        path: `/v1/organizations/${orgId}/invitations?limit=100${query}`,
        headers: { authorization: `Bearer ${owner}` },
      }),
      expect: 200,
      check: (b) => {
        const list = b as { email?: string; status?: string }[];
        return (
          Array.isArray(list) &&
          list.length === Math.min(100, size) &&
          list[0]?.email === `bulk-${size - 1}@${orgId.slice(0, 8)}.bench.example` &&
          list.every((x) => x.status === 'pending')
        );
      },
    });
    // each pair measured in alternating halves, so a slow stretch of the machine falls on both
    for (const { big: bigName, small: smallName, query } of ADMIN_PAIRS) {
      const bigLoad: [string, Load] = [bigName, adminList(big, opts.bigOrg, query)];
      const smallLoad: [string, Load] = [smallName, adminList(small, opts.smallOrg, query)];
      if (want(bigName) && want(smallName))
        for (const r of await scenarioPair(bigLoad, smallLoad, publicUrl, opts, pid)) emit(r);
      else
        for (const [name, load] of [bigLoad, smallLoad])
          if (want(name)) emit(await scenario(name, publicUrl, load, opts, pid));
    }

    // create: distinct emails, outbox row included (sendEmail defaults to true); the tokens it returns
    // become the accept scenario's pool.
    const pool: { token: string; email: string }[] = [];
    if (want('create') || want('accept')) {
      let seq = 0;
      const run = randomBytes(3).toString('hex');
      emit(
        await scenario(
          'create',
          publicUrl,
          {
            next: (ctx) => {
              const email = `new-${run}-${seq++}@bench.example`;
              ctx.email = email;
              return {
                method: 'POST',
                path: `/v1/organizations/${creates}/invitations`,
                headers: { authorization: `Bearer ${owner}`, 'content-type': 'application/json' },
                body: JSON.stringify({ email, role: 'member' }),
              };
            },
            expect: 201,
            onOk: (body, ctx) => {
              const token = TOKEN_IN_URL.exec(body)?.[1];
              if (token) pool.push({ token, email: ctx.email as string });
            },
            check: (b, ctx) => {
              const inv = b as {
                email?: string;
                status?: string;
                url?: string;
                delivery?: { status?: string };
              };
              return (
                inv.email === ctx.email &&
                inv.status === 'pending' &&
                TOKEN_IN_URL.test(inv.url ?? '') &&
                inv.delivery?.status === 'queued'
              );
            },
          },
          opts,
          pid,
        ),
      );
    }

    if (want('accept')) {
      // every request a different token + bearer pair, signed ahead of time; the pool (the create
      // scenario's invitations) is topped up over HTTP to 1.5× what accept could use at create's rate
      const createRate = results.find((r) => r.scenario === 'create')?.reqPerSec ?? 0;
      const needed = Math.ceil((opts.warmup + opts.duration) * Math.max(createRate, 200) * 1.5);
      if (pool.length < needed) {
        const t3 = performance.now();
        const extra = Array.from(
          { length: needed - pool.length },
          (_, i) => `more-${randomBytes(3).toString('hex')}-${i}@bench.example`,
        );
        await parallel(extra, 8, async (email) => {
          const inv = await api.expect<{ url: string }>(
            201,
            'POST',
            `/v1/organizations/${creates}/invitations`,
            owner,
            {
              email,
              role: 'member',
              sendEmail: false,
            },
          );
          const token = TOKEN_IN_URL.exec(inv.url)?.[1];
          if (token) pool.push({ token, email });
        });
        opts.log(
          `  topped up the accept pool with ${extra.length} invitations in ${((performance.now() - t3) / 1000).toFixed(1)} s`,
        );
      }
      const t2 = performance.now();
      const pairs: { token: string; email: string; bearer: string }[] = [];
      for (const p of pool) pairs.push({ ...p, bearer: await sign(p.email) });
      opts.log(
        `  signed ${pairs.length} invitee tokens for accept in ${((performance.now() - t2) / 1000).toFixed(1)} s`,
      );
      let i = 0;
      emit(
        await scenario(
          'accept',
          publicUrl,
          {
            next: (ctx) => {
              const p = pairs[i++];
              if (!p) return null;
              ctx.p = p;
              return {
                method: 'POST',
                path: `/api/v1/invitations/${p.token}/accept`,
                headers: { authorization: `Bearer ${p.bearer}` },
              };
            },
            expect: 200,
            check: (b) => {
              const m = (b as { data?: { membership?: { organization_id?: string; role?: string } } }).data
                ?.membership;
              return m?.organization_id === creates && m.role === 'member';
            },
          },
          opts,
          pid,
        ),
      );
    }

    // the kernel updates VmHWM lazily (proc(5): "inaccurate"), so a 100 ms sample can exceed it
    const hwm = Math.max(Math.round(statusKb(pid, 'VmHWM') / 1024), ...results.map((r) => r.rssMb));
    opts.log(`  server peak RSS over the whole run (VmHWM or the highest sample): ${hwm} MB`);
    // The ceilings again, with Admit stopped: on a shared machine the speed drifts during a run
    // (ceiling-fastify seen at 17.8k at the start and ~10k minutes later), so ratios use the mean
    // of the two measurements and the table shows both.
    await stopChild(server);
    server = undefined;
    emit({ ...(await ceilingFastify(opts)), scenario: 'ceiling-fastify (end)' });
    emit({ ...(await ceilingCommit(opts, db)), scenario: 'ceiling-commit (end)' });
    const table = markdownTable(results);
    return { settings, results, table };
  } finally {
    if (server) await stopChild(server);
    if (rt) await rt.close();
    await db.cleanup().catch((err) => opts.log(`cleanup failed: ${String(err)}`));
  }
}

export { SCENARIOS };
