import assert from 'node:assert/strict';
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, statSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';

// The first start on an empty embedded database (`npm start` = `node dist/main.js` after the build that
// `npm test` runs first) prints a ready-to-paste admin token and a curl line; that token creates an
// organization over real HTTP, and `admit token` mints tokens that work against the same database.

const run = promisify(execFile);
const ROOT = new URL('../../', import.meta.url).pathname;
const MAIN = join(ROOT, 'dist/main.js');
const CLI = join(ROOT, 'dist/cli/admit.js');

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

interface Started {
  child: ChildProcess;
  stdout: () => string;
  exited: Promise<number | null>;
}

/** Starts the server and resolves once `predicate(stdout)` holds or /healthz answers, whichever is asked. */
function start(env: Record<string, string>): Started {
  const child = spawn(process.execPath, [MAIN], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout?.on('data', (d) => {
    out += String(d);
  });
  child.stderr?.on('data', (d) => {
    err += String(d);
  });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  exited.then((code) => {
    if (code !== 0 && code !== null) process.stderr.write(`server exited ${code}: ${err}\n`);
  });
  return { child, stdout: () => out, exited };
}

async function until<T>(what: string, fn: () => Promise<T | undefined>, s: Started): Promise<T> {
  let done = false;
  s.exited.then(() => {
    done = true;
  });
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (done) throw new Error(`the server exited before ${what}: ${s.stdout()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function stop(s: Started): Promise<void> {
  if (s.child.exitCode === null && s.child.signalCode === null) s.child.kill('SIGTERM');
  await s.exited;
}

describe('first start on an empty embedded database', () => {
  let dir: string;
  let port: number;
  let env: Record<string, string>;
  let server: Started;
  let adminToken: string;

  before(async () => {
    if (!existsSync(MAIN) || !existsSync(CLI)) {
      await run('npx', ['tsc', '-p', 'tsconfig.build.json'], { cwd: ROOT });
    }
    dir = mkdtempSync(join(tmpdir(), 'admit-first-'));
    port = await freePort();
    env = { PORT: String(port), DATABASE_URL: `sqlite:${join(dir, 'data', 'admit.db')}` };
    server = start(env);
  });
  after(async () => {
    if (server) await stop(server);
  });

  it('prints a ready-to-paste admin token and a curl line', async () => {
    adminToken = await until(
      'the admin token line',
      async () => /export ADMIT_TOKEN=(\S+)/.exec(server.stdout())?.[1],
      server,
    );
    assert.match(adminToken, /^[\w-]+\.[\w-]+\.[\w-]+$/);
    await until('the curl line', async () => (server.stdout().includes('curl') ? true : undefined), server);
    assert.match(server.stdout(), new RegExp(`curl .*http://localhost:${port}/v1/organizations`));
    const secret = join(dir, 'data', 'admit.secret');
    assert.ok(existsSync(secret), 'ADMIT_SECRET generated into the data directory');
    assert.equal(statSync(secret).mode & 0o777, 0o600);
  });

  it('the printed token creates an organization over real HTTP', async () => {
    const res = await fetch(`http://127.0.0.1:${port}/v1/organizations`, {
      method: 'POST',
      headers: { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'Acme Corp' }),
    });
    assert.equal(res.status, 201, await res.clone().text());
    const org = (await res.json()) as { id: string; name: string };
    assert.equal(org.name, 'Acme Corp');
  });

  it('`admit token --email` mints a token that works against the same database', async () => {
    const { stdout } = await run(
      process.execPath,
      [CLI, 'token', '--email', 'X@Example.com', '--name', 'X'],
      {
        cwd: ROOT,
        env: { PATH: process.env.PATH ?? '', ...env },
      },
    );
    const token = stdout.trim();
    assert.match(token, /^[\w-]+\.[\w-]+\.[\w-]+$/);
    const created = await fetch(`http://127.0.0.1:${port}/v1/organizations`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'X Co' }),
    });
    assert.equal(created.status, 201, await created.clone().text());
    const mine = await fetch(`http://127.0.0.1:${port}/v1/organizations`, {
      headers: { authorization: `Bearer ${token}` },
    });
    assert.deepEqual(
      ((await mine.json()) as { name: string }[]).map((o) => o.name),
      ['X Co'],
    );
  });

  it('a later start on the same database prints no token', async () => {
    await stop(server);
    server = start(env);
    await until(
      'health',
      async () => {
        try {
          return (await fetch(`http://127.0.0.1:${port}/healthz`)).ok ? true : undefined;
        } catch {
          return undefined;
        }
      },
      server,
    );
    await stop(server);
    assert.ok(!server.stdout().includes('ADMIT_TOKEN'), server.stdout());
  });
});
