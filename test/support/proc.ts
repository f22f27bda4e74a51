import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';

// Child processes for end-to-end tests: the built server (dist/main.js) and CLI (dist/cli/admit.js).

const ROOT = new URL('../../', import.meta.url).pathname;

function newest(dir: string): number {
  let max = 0;
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    const st = statSync(p);
    max = Math.max(max, st.isDirectory() ? newest(p) : name.endsWith('.ts') ? st.mtimeMs : 0);
  }
  return max;
}

/** `npm run build` when dist is missing or older than src (tsc emits even when another file has type errors). */
export function ensureBuilt(): void {
  let built = 0;
  try {
    built = Math.min(
      statSync(join(ROOT, 'dist/main.js')).mtimeMs,
      statSync(join(ROOT, 'dist/cli/admit.js')).mtimeMs,
    );
  } catch {
    built = 0;
  }
  if (built >= newest(join(ROOT, 'src'))) return;
  const r = spawnSync(
    process.execPath,
    [join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.build.json'],
    {
      cwd: ROOT,
      encoding: 'utf8',
    },
  );
  try {
    statSync(join(ROOT, 'dist/main.js'));
  } catch {
    throw new Error(`build failed:\n${r.stdout}\n${r.stderr}`);
  }
}

export async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
  const addr = probe.address();
  const port = typeof addr === 'object' && addr ? addr.port : 0;
  await new Promise<void>((r) => probe.close(() => r()));
  return port;
}

export interface Proc {
  child: ChildProcess;
  output(): string;
  /** resolves with the exit code (or the signal name) */
  exited: Promise<number | string>;
}

export function spawnNode(script: string, args: string[], env: Record<string, string>): Proc {
  const child = spawn(process.execPath, [join(ROOT, script), ...args], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout?.on('data', (c: Buffer) => {
    out += c.toString();
  });
  child.stderr?.on('data', (c: Buffer) => {
    out += c.toString();
  });
  // 'close', not 'exit': it comes after the child's output has been read to the end
  const exited = new Promise<number | string>((resolve) =>
    child.on('close', (code, signal) => resolve(code ?? signal ?? -1)),
  );
  return { child, output: () => out, exited };
}

/** kills a child that is still running (test cleanup); never anything but our own child */
export async function reap(p: Proc | undefined): Promise<void> {
  if (!p || p.child.exitCode !== null || p.child.signalCode !== null) return;
  p.child.kill('SIGKILL');
  await p.exited;
}

/** Polls url until it answers 2xx; on timeout the error carries the last answer and the child's output. */
export async function waitForHttp(url: string, timeoutMs = 20_000, proc?: Proc): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = 'no answer';
  for (;;) {
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(5_000) });
      if (res.ok) return;
      last = `${res.status} ${await res.text()}`;
    } catch (err) {
      last = err instanceof Error ? err.message : String(err); // not listening yet
    }
    if (Date.now() > deadline) {
      const output = proc ? `\n--- child output ---\n${proc.output().slice(-3000)}` : '';
      throw new Error(`${url} did not answer (last: ${last})${output}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}
