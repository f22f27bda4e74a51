import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { decodeProtectedHeader, type JWK } from 'jose';
import { LIMITS_OFF } from '../../scripts/limits-off.js';
import { ensureBuilt, freePort, spawnNode } from '../../scripts/proc.js';
import { TEST_SECRET } from '../support/app.js';
import { dialects, freshDatabase } from '../support/db.js';
import { waitFor } from '../support/mail.js';
import { type ServerProcess, startServer } from '../support/servers.js';

// Key rotation across real processes: `admit keys rotate` run beside a running server. The server
// re-reads the key set every SIGNING_KEYS_REFRESH: it publishes the new key in its JWKS first, keeps
// signing (its OAuth2 provider's access tokens) with the old one until the new one activates, then
// signs with the new one, and the old key's tokens keep verifying.

/** The server re-reads the keys this often. */
const SERVER_REFRESH = '200ms';
/**
 * The rotating CLI's interval decides the activation (two of them after the rotation): longer than the
 * server's, so the published-but-not-signing phase lasts seconds, not a fraction of one.
 */
const ROTATE_REFRESH = '3s';
const DAY_MS = 86_400_000;

interface KeyView {
  kid: string;
  state: string;
  created_at: string;
  activates_at: string;
  retires_at: string | null;
  replaces?: string;
}

const kidOf = (token: string) => String(decodeProtectedHeader(token).kid);

before(() => ensureBuilt());

for (const dialect of dialects()) {
  describe(`[${dialect}] admit keys rotate beside a running server`, () => {
    let server: ServerProcess;
    let env: Record<string, string>;
    let client: { id: string; secret: string };

    const cli = async (args: string[], extra: Record<string, string> = {}) => {
      const p = spawnNode('dist/cli/admit.js', args, { ...env, ...extra });
      const code = await p.exited;
      assert.equal(code, 0, p.output());
      return p.stdout();
    };
    const jwks = async (): Promise<string[]> => {
      const res = await fetch(`${server.base}/.well-known/jwks.json`);
      assert.equal(res.status, 200);
      return ((await res.json()) as { keys: JWK[] }).keys.map((k) => String(k.kid));
    };
    /** a client-credentials access token from the server's OAuth2 provider */
    const accessToken = async (): Promise<string> => {
      const res = await fetch(`${server.base}/oauth/token`, {
        method: 'POST',
        headers: {
          authorization: `Basic ${Buffer.from(`${client.id}:${client.secret}`).toString('base64')}`,
          'content-type': 'application/x-www-form-urlencoded',
        },
        body: 'grant_type=client_credentials',
      });
      const body = (await res.json()) as { access_token?: string };
      assert.equal(res.status, 200, JSON.stringify(body));
      return String(body.access_token);
    };
    const accepted = async (token: string) =>
      (await fetch(`${server.base}/v1/organizations`, { headers: { authorization: `Bearer ${token}` } }))
        .status;

    before(async () => {
      const { url } = await freshDatabase(dialect);
      const port = await freePort();
      env = {
        DATABASE_URL: url,
        ADMIT_SECRET: TEST_SECRET,
        PUBLIC_URL: `http://127.0.0.1:${port}`,
        ...LIMITS_OFF,
        LOG_LEVEL: 'warn',
        SIGNING_KEYS_REFRESH: SERVER_REFRESH,
      };
      const created = JSON.parse(await cli(['clients', 'create', '--name', 'Rotation probe', '--admin'])) as {
        client_id: string;
        client_secret: string;
      };
      client = { id: created.client_id, secret: created.client_secret };
      server = await startServer(env, port);
    });
    after(() => server?.stop());

    it('publishes the new key first, signs with it from its activation, and keeps the old tokens verifying', async () => {
      const [oldKid, ...others] = await jwks();
      assert.ok(oldKid);
      assert.deepEqual(others, []);
      const oldAccess = await accessToken();
      assert.equal(kidOf(oldAccess), oldKid);
      // a 30-day token minted by the CLI (its own process) before the rotation
      const oldMinted = (
        await cli(['token', '--email', 'long@example.com', '--admin', '--expires', '30d'])
      ).trim();
      assert.equal(kidOf(oldMinted), oldKid);

      const rotated = JSON.parse(
        await cli(['keys', 'rotate'], { SIGNING_KEYS_REFRESH: ROTATE_REFRESH }),
      ) as KeyView;
      assert.equal(rotated.state, 'published');
      assert.equal(rotated.replaces, oldKid);
      assert.equal(rotated.retires_at, null);
      const newKid = rotated.kid;
      assert.notEqual(newKid, oldKid);
      const activatesAt = Date.parse(rotated.activates_at);
      assert.equal(activatesAt - Date.parse(rotated.created_at), 6_000, 'two of the CLI intervals');

      // poll the server: its signing key and its JWKS, until it signs with the new key
      let publishedWhileOldSigned = false;
      await waitFor(
        async () => {
          const token = await accessToken();
          const answeredAt = Date.now();
          const published = await jwks();
          const kid = kidOf(token);
          assert.ok(published.includes(kid), `${kid} signed a token while unpublished (${published})`);
          assert.ok(kid === oldKid || kid === newKid);
          // signed before the answer: before the activation only the old key signs
          if (answeredAt < activatesAt) assert.equal(kid, oldKid, 'the new key signed before its activation');
          if (kid === oldKid && published.includes(newKid)) publishedWhileOldSigned = true;
          return kid === newKid;
        },
        'the server signs with the new key',
        60_000,
        100,
      );
      assert.ok(publishedWhileOldSigned, 'the new key was published while the old one still signed');

      // the old key's tokens keep verifying; tokens minted now carry the new key
      assert.equal(await accepted(oldAccess), 200);
      assert.equal(await accepted(oldMinted), 200);
      const newMinted = (await cli(['token', '--email', 'new@example.com', '--admin'])).trim();
      assert.equal(kidOf(newMinted), newKid);
      assert.equal(await accepted(newMinted), 200);
      assert.deepEqual((await jwks()).sort(), [oldKid, newKid].sort());

      const listed = JSON.parse(await cli(['keys', 'list'])) as KeyView[];
      assert.deepEqual(
        listed.map((k) => [k.kid, k.state]),
        [
          [newKid, 'signing'],
          [oldKid, 'published'],
        ],
      );
      assert.equal(listed[0]?.retires_at, null);
      // the old key retires 30 days (the longest token) and one day after the new one activated
      assert.equal(Date.parse(String(listed[1]?.retires_at)), activatesAt + 31 * DAY_MS);
    });
  });
}
