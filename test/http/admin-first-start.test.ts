import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  ensureBuilt,
  freePort,
  type Proc,
  spawnNode,
  stop,
  waitForHttp,
  waitForOutput,
} from '../../scripts/proc.js';

// The first start on an empty embedded database (`npm start` = `node dist/main.js` after the build that
// `npm test` runs first) prints a ready-to-paste admin token and a curl line; that token creates an
// organization over real HTTP, and `admit token` mints tokens that work against the same database.

const start = (env: Record<string, string>): Proc =>
  spawnNode('dist/main.js', [], { LOG_LEVEL: 'warn', ...env });

describe('first start on an empty embedded database', () => {
  let dir: string;
  let port: number;
  let env: Record<string, string>;
  let server: Proc;
  let adminToken: string;

  before(async () => {
    ensureBuilt();
    dir = mkdtempSync(join(tmpdir(), 'admit-first-'));
    port = await freePort();
    env = { PORT: String(port), DATABASE_URL: `sqlite:${join(dir, 'data', 'admit.db')}` };
    server = start(env);
  });
  after(async () => {
    if (server) await stop(server);
  });

  it('prints a ready-to-paste admin token and a curl line', async () => {
    adminToken = (await waitForOutput(server, /export ADMIT_TOKEN=(\S+)/))[1] ?? '';
    assert.match(adminToken, /^[\w-]+\.[\w-]+\.[\w-]+$/);
    await waitForOutput(server, /curl/);
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
    const cli = spawnNode('dist/cli/admit.js', ['token', '--email', 'X@Example.com', '--name', 'X'], env);
    assert.equal(await cli.exited, 0, cli.output());
    const token = cli.stdout().trim();
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
    await waitForHttp(`http://127.0.0.1:${port}/healthz`, server);
    await stop(server);
    assert.ok(!server.stdout().includes('ADMIT_TOKEN'), server.stdout());
  });
});
