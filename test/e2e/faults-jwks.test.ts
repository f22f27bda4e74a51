import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { exportJWK, generateKeyPair, type JWK, SignJWT } from 'jose';
import { ensureBuilt, freePort, type Proc, reap } from '../../scripts/proc.js';
import { freshDatabase } from '../support/db.js';
import { serverEnv, sleep, startAdmit } from '../support/faults.js';

// RELIABILITY-PLAN case 51: the external issuer's key set down (500s) or slow (never answers). Tokens
// signed with a key already fetched keep working; a token with an unknown `kid` is 401 (never 500);
// and the issuer sees at most one key-set request per cooldown however many such tokens arrive, also
// while it fails (jose's own cache counts its cooldown from the last success only, so every unknown
// kid refetched from a failing issuer). The database plays no part here: SQLite only.

const AUDIENCE = 'admit-api';
const COOLDOWN_MS = 2_000;

type Mode = 'up' | 'down' | 'slow';

async function signer(kid: string) {
  const { privateKey, publicKey } = await generateKeyPair('ES256', { extractable: true });
  const jwk: JWK = { ...(await exportJWK(publicKey)), kid, alg: 'ES256', use: 'sig' };
  return {
    jwk,
    token: (issuer: string) =>
      new SignJWT({ email: 'ada@example.com', email_verified: true, jti: randomBytes(8).toString('hex') })
        .setProtectedHeader({ alg: 'ES256', kid, typ: 'at+jwt' })
        .setIssuer(issuer)
        .setAudience(AUDIENCE)
        .setSubject('ada')
        .setIssuedAt()
        .setExpirationTime('10m')
        .sign(privateKey),
  };
}

describe('[sqlite] the external issuer down or slow', () => {
  let server: Proc | undefined;
  const held: ServerResponse[] = [];
  const issuerServer = createServer();
  after(async () => {
    await reap(server);
    for (const r of held) r.destroy();
    issuerServer.closeAllConnections();
    await new Promise((r) => issuerServer.close(r));
  });
  before(() => ensureBuilt());

  it('keeps verifying with the keys it has and does not pile requests on the issuer', async () => {
    let mode: Mode = 'up';
    let fetches = 0;
    const known = await signer('key-1');
    const rotated = await signer('key-2');
    const stranger = await signer('not-published');
    let published: JWK[] = [known.jwk];
    issuerServer.on('request', (req: IncomingMessage, res: ServerResponse) => {
      if (req.url !== '/jwks') return res.writeHead(404).end();
      fetches++;
      if (mode === 'down') return res.writeHead(500).end('down');
      if (mode === 'slow') return void held.push(res); // never answers
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: published }));
    });
    const issuerPort = await freePort();
    await new Promise<void>((r) => issuerServer.listen(issuerPort, '127.0.0.1', r));
    const issuer = `http://127.0.0.1:${issuerPort}`;

    const { url } = await freshDatabase('sqlite');
    const port = await freePort();
    server = await startAdmit(
      serverEnv(url, {
        AUTH_ISSUER: issuer,
        AUTH_AUDIENCE: AUDIENCE,
        AUTH_JWKS_URL: `${issuer}/jwks`,
        AUTH_JWKS_COOLDOWN: `${COOLDOWN_MS}ms`,
        AUTH_JWKS_TIMEOUT: '1s',
      }),
      port,
    );
    const call = async (token: string) =>
      (
        await fetch(`http://127.0.0.1:${port}/v1/organizations`, {
          headers: { authorization: `Bearer ${token}` },
        })
      ).status;
    /** at most one fetch per started cooldown window over the elapsed time */
    const allowed = (startedAt: number) => 1 + Math.floor((Date.now() - startedAt) / COOLDOWN_MS);
    let requests = 0;

    assert.equal(await call(await known.token(issuer)), 200);
    assert.equal(fetches, 1, 'the key set is fetched once');
    requests++;

    for (const m of ['down', 'slow'] as const) {
      mode = m;
      await sleep(COOLDOWN_MS + 100); // past the cooldown: a refetch is allowed again
      const before = fetches;
      const startedAt = Date.now();
      // unknown kids, one after another and all at once
      for (let i = 0; i < 10; i++)
        assert.equal(await call(await stranger.token(issuer)), 401, `${m}: unknown kid`);
      const burst = await Promise.all(
        Array.from({ length: 20 }, async () => call(await stranger.token(issuer))),
      );
      assert.deepEqual(new Set(burst), new Set([401]), `${m}: unknown kids at once`);
      // fresh tokens of the known key still verify (not from the verified-token cache: new jti each)
      for (let i = 0; i < 5; i++) assert.equal(await call(await known.token(issuer)), 200, `${m}: known key`);
      requests += 35;
      const made = fetches - before;
      assert.ok(made <= allowed(startedAt), `${m}: ${made} key-set requests for 30 unknown kids`);
    }

    // the issuer is back with a rotated key: picked up at the next allowed refetch
    for (const r of held.splice(0)) r.destroy();
    mode = 'up';
    published = [known.jwk, rotated.jwk];
    await sleep(COOLDOWN_MS + 100);
    assert.equal(await call(await rotated.token(issuer)), 200, 'a new key after recovery');
    assert.equal(await call(await known.token(issuer)), 200);
    requests += 2;
    assert.equal(server.child.exitCode, null, 'the server stayed up');
    console.log(
      `[faults] JWKS issuer down and slow: 2 faults, ${requests} requests (60 with unknown kids), ` +
        `${fetches} key-set requests reached the issuer; known keys kept verifying`,
    );
  });
});
