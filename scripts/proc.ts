// Child Node.js processes for the bench (bench/) and the tests (test/): a free port, the build, a
// spawned script whose output is kept, waiting for it to print, to answer HTTP or to exit, and stopping
// it. One copy for both, so a fix (e.g. failing fast when the child dies before it listens) reaches
// both. Development tooling only: nothing in src/ imports it.
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { createServer } from 'node:net';
import { dirname, join, resolve as resolvePath } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository's root directory. */
export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');

/** A TCP port free on 127.0.0.1 now (the OS picks it; the caller binds it soon after). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const addr = probe.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      probe.close(() => resolve(port));
    });
  });
}

function newestSource(dir: string): number {
  let max = 0;
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    const st = statSync(p);
    max = Math.max(max, st.isDirectory() ? newestSource(p) : name.endsWith('.ts') ? st.mtimeMs : 0);
  }
  return max;
}

function mtime(path: string): number {
  try {
    return statSync(path).mtimeMs;
  } catch {
    return 0;
  }
}

/**
 * Compiles src/ into dist/ when dist is missing or older than src (tsc emits even when a file others
 * are editing has type errors, so only a missing output is a failure).
 */
export function ensureBuilt(): void {
  const built = Math.min(mtime(join(ROOT, 'dist/main.js')), mtime(join(ROOT, 'dist/cli/admit.js')));
  if (built >= newestSource(join(ROOT, 'src'))) return;
  const r = spawnSync(
    process.execPath,
    [join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.build.json'],
    { cwd: ROOT, encoding: 'utf8' },
  );
  if (!mtime(join(ROOT, 'dist/main.js'))) throw new Error(`build failed:\n${r.stdout}\n${r.stderr}`);
}

export interface SpawnOptions {
  /** start from this process's environment (default: only PATH, so nothing leaks in unasked) */
  inheritEnv?: boolean;
  /** Node.js flags before the script (e.g. --cpu-prof) */
  nodeFlags?: string[];
  /** 'capture' (default): kept in output(); 'inherit': written to this process's stderr as it comes */
  stderr?: 'capture' | 'inherit';
}

export interface Proc {
  child: ChildProcess;
  /** stdout and captured stderr as they came (at most the last MAX_KEPT characters) */
  output(): string;
  /** stdout only (at most the last MAX_KEPT characters) */
  stdout(): string;
  /** resolves with the exit code (or the signal name) once the child's output is read to the end */
  exited: Promise<number | string>;
}

/** Enough for any start-up banner or error; a long-running child's later output only keeps its tail. */
const MAX_KEPT = 1 << 20;
const keep = (kept: string, more: string) => {
  const all = kept + more;
  return all.length > MAX_KEPT ? all.slice(-MAX_KEPT) : all;
};

/** Runs `node [flags] script args` (script relative to ROOT, or absolute) in ROOT, with `env` added. */
export function spawnNode(
  script: string,
  args: string[] = [],
  env: Record<string, string> = {},
  opts: SpawnOptions = {},
): Proc {
  const base = opts.inheritEnv ? process.env : { PATH: process.env.PATH ?? '' };
  const child = spawn(process.execPath, [...(opts.nodeFlags ?? []), resolvePath(ROOT, script), ...args], {
    cwd: ROOT,
    env: { ...base, ...env },
    stdio: ['ignore', 'pipe', opts.stderr === 'inherit' ? 'inherit' : 'pipe'],
  });
  let out = '';
  let stdout = '';
  child.stdout?.on('data', (c: Buffer) => {
    out = keep(out, c.toString());
    stdout = keep(stdout, c.toString());
  });
  child.stderr?.on('data', (c: Buffer) => {
    out = keep(out, c.toString());
  });
  // 'close', not 'exit': it comes after the child's output has been read to the end
  const exited = new Promise<number | string>((resolve) =>
    child.on('close', (code, signal) => resolve(code ?? signal ?? -1)),
  );
  return { child, output: () => out, stdout: () => stdout, exited };
}

const running = (p: Proc) => p.child.exitCode === null && p.child.signalCode === null;

/** Waits until the child's stdout matches pattern (e.g. a line it prints once ready); fails if it exits first. */
export function waitForOutput(p: Proc, pattern: RegExp): Promise<RegExpExecArray> {
  return new Promise((resolve, reject) => {
    const check = () => {
      const m = pattern.exec(p.stdout());
      if (m) resolve(m);
      return m;
    };
    if (check()) return;
    p.child.stdout?.on('data', check);
    // a match in the last chunk still wins: 'close' comes after every 'data'
    p.exited.then((code) => {
      if (!check()) reject(new Error(`child exited with ${code} before printing ${pattern}: ${p.output()}`));
    });
  });
}

/** The child's first line on stdout (e.g. the port it listens on); fails if it exits first. */
export async function firstLine(p: Proc): Promise<string> {
  return (await waitForOutput(p, /^(.*)\n/))[1] ?? '';
}

/**
 * How long a child may take to answer after it starts. A bound, not a timing: a child that exits
 * fails at once; on a machine with a load of 20 (the stress suite beside other work) a start has
 * taken over 20 s.
 */
export const START_BOUND_MS = 60_000;

/**
 * Polls url until it answers 2xx. Fails as soon as `proc` (the child that should answer) exits, or
 * after timeoutMs; the error carries the last answer and the child's output.
 */
export async function waitForHttp(url: string, proc?: Proc, timeoutMs = START_BOUND_MS): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  const tail = () => (proc ? `\n--- child output ---\n${proc.output().slice(-3000)}` : '');
  let last = 'no answer';
  for (;;) {
    if (proc && !running(proc)) throw new Error(`exited before ${url} answered${tail()}`);
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(5_000) });
      if (res.ok) return;
      last = `${res.status} ${await res.text()}`;
    } catch (err) {
      last = err instanceof Error ? err.message : String(err); // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`${url} did not answer (last: ${last})${tail()}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/**
 * Stops a child that is still running: SIGTERM (a graceful shutdown), then SIGKILL after graceMs.
 * Only ever our own child, by its handle.
 */
export async function stop(p: Proc | undefined, graceMs = 10_000): Promise<void> {
  if (!p || !running(p)) return;
  const kill = setTimeout(() => p.child.kill('SIGKILL'), graceMs);
  p.child.kill('SIGTERM');
  await p.exited;
  clearTimeout(kill);
}

/** Kills a child that is still running at once (test cleanup). */
export async function reap(p: Proc | undefined): Promise<void> {
  if (!p || !running(p)) return;
  p.child.kill('SIGKILL');
  await p.exited;
}
