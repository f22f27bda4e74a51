import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { ensureBuilt } from '../../scripts/proc.js';
import { createTestApp, TEST_SECRET, type TestApp } from '../support/app.js';
import { dialects } from '../support/db.js';
import { actor, organization } from '../support/fixtures.js';

// `admit clients create|list|delete` against a real database: one JSON object with the secret shown
// once (stored only as a hash), a JSON array without secrets, usage errors exit 2 with a message.

const run = promisify(execFile);
const CLI = join(new URL('../../', import.meta.url).pathname, 'dist/cli/admit.js');

for (const dialect of dialects()) {
  describe(`[${dialect}] admit clients`, () => {
    let t: TestApp;
    let env: Record<string, string>;
    let orgId: string;

    before(async () => {
      ensureBuilt();
      t = await createTestApp(dialect);
      // the CLI shares the app's database through the same URL
      env = {
        PATH: process.env.PATH ?? '',
        DATABASE_URL:
          t.config.database.kind === 'postgres' ? t.config.database.url : `sqlite:${t.config.database.path}`,
        ADMIT_SECRET: TEST_SECRET,
      };
      orgId = await organization(await actor(t, 'owner@example.com'));
    });
    after(() => t.close());

    const cli = async (...args: string[]) => {
      try {
        const { stdout, stderr } = await run(process.execPath, [CLI, 'clients', ...args], { env });
        return { code: 0, stdout, stderr };
      } catch (err) {
        const e = err as { code: number; stdout: string; stderr: string };
        return { code: e.code, stdout: e.stdout, stderr: e.stderr };
      }
    };

    it('creates a confidential organization client, shows its secret once, lists it without secrets, deletes it', async () => {
      const created = await cli(
        'create',
        '--name',
        'Provisioner',
        '--organization',
        orgId,
        '--role',
        'admin',
      );
      assert.equal(created.code, 0, created.stderr);
      const body = JSON.parse(created.stdout) as Record<string, unknown>;
      assert.match(String(body.client_id), /^cl_/);
      assert.match(String(body.client_secret), /^cs_[A-Za-z0-9_-]{43}$/);
      assert.equal(body.organization_id, orgId);

      const stored = await t.rt.db.kysely.selectFrom('oauth_clients').selectAll().execute();
      assert.equal(stored.length, 1);
      assert.ok(!JSON.stringify(stored).includes(String(body.client_secret)), 'only a hash is stored');

      const listed = await cli('list');
      assert.equal(listed.code, 0, listed.stderr);
      const list = JSON.parse(listed.stdout) as Record<string, unknown>[];
      assert.deepEqual(
        list.map((c) => c.client_id),
        [body.client_id],
      );
      assert.ok(!listed.stdout.includes('secret'), 'no secret in the list');

      assert.equal((await cli('delete', String(body.client_id))).code, 0);
      assert.deepEqual(JSON.parse((await cli('list')).stdout), []);
    });

    it('a public client has no secret; --public with --admin or --organization exits 2 with a message', async () => {
      const pub = await cli(
        'create',
        '--name',
        'SPA',
        '--public',
        '--redirect-uri',
        'https://app.example/cb',
      );
      assert.equal(pub.code, 0, pub.stderr);
      assert.equal(JSON.parse(pub.stdout).client_secret, undefined);
      for (const extra of [['--admin'], ['--organization', orgId, '--role', 'member']]) {
        const res = await cli(
          'create',
          '--name',
          'X',
          '--public',
          '--redirect-uri',
          'https://a.example/cb',
          ...extra,
        );
        assert.equal(res.code, 2);
        assert.match(res.stderr, /--public cannot be combined/);
      }
      const badRole = await cli('create', '--name', 'X', '--organization', orgId, '--role', 'nope');
      assert.equal(badRole.code, 2);
      assert.match(badRole.stderr, /no role "nope"/);
      const badUri = await cli('create', '--name', 'X', '--redirect-uri', 'http://evil.example/cb');
      assert.equal(badUri.code, 2);
    });
  });
}
