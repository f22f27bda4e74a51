import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import * as oidc from 'openid-client';
import { client, createTestApp, type TestApp } from '../support/app.js';
import { type Call, createCalls, HOOK_HOST } from '../support/authz-calls.js';
import { ACTORS, applies, CATALOGUE, expected, OPS } from '../support/authz-table.js';
import { dialects } from '../support/db.js';
import { type Actor, actor, makeMember, organization } from '../support/fixtures.js';
import { discover, registerClient } from '../support/oauth.js';

// The authorization matrix as one table (test/support/authz-table.ts, written from SPEC §2 and §10):
// every actor × every operation of every surface × own / foreign organization (and the own
// organization's path naming the other one's object), each cell with its expected status; the
// requests and their fixtures are test/support/authz-calls.ts. A 404 for another organization's
// path or object must be the 404 of an id that exists nowhere (SPEC §5: existence is not revealed).

let cells = 0;
/** 404s for another organization's path or object compared with the 404 of ids that exist nowhere */
let hidden = 0;
const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g;

for (const dialect of dialects()) {
  describe(`[${dialect}] authorization matrix`, () => {
    let t: TestApp;
    const org = { own: '', foreign: '' };
    const owners = {} as Record<'own' | 'foreign', Actor>;
    const tokens = new Map<string, string>();
    let n = 0;
    const fresh = () => `${dialect}-${++n}`;
    let prepare: ReturnType<typeof createCalls>['prepare'];

    before(async () => {
      t = await createTestApp(dialect, { WEBHOOK_ALLOWED_HOSTS: HOOK_HOST });
      prepare = createCalls({ t, org, owners, fresh }).prepare;
      owners.own = await actor(t, 'owner@example.com');
      owners.foreign = await actor(t, 'outsider@example.com');
      org.own = await organization(owners.own, 'Own Org');
      org.foreign = await organization(owners.foreign, 'Foreign Org');
      for (const side of ['own', 'foreign'] as const) {
        const guest = await owners[side].api.post(`/v1/organizations/${org[side]}/roles`, {
          key: 'guest',
          name: 'Guest',
          permissions: [],
        });
        assert.equal(guest.statusCode, 201, guest.body);
      }
      for (const p of CATALOGUE) {
        const res = await owners.own.api.post(`/v1/organizations/${org.own}/roles`, {
          key: `only-${p.replace(':', '-')}`,
          name: p,
          permissions: [p],
        });
        assert.equal(res.statusCode, 201, res.body);
      }
      for (const a of ACTORS) {
        if (a.kind === 'anonymous' || a.addressee) continue;
        if (a.kind === 'client') {
          const { record, secret } = await registerClient(t, {
            name: a.name,
            admin: a.sysadmin,
            organization: a.role ? { id: org.own, roleKey: a.role.key } : undefined,
          });
          tokens.set(
            a.name,
            (await oidc.clientCredentialsGrant(await discover(t, record.clientId, secret))).access_token,
          );
          continue;
        }
        if (a.role?.key === 'owner') {
          tokens.set(a.name, owners.own.token);
          continue;
        }
        const who = await actor(t, `${a.name.replace(/[^a-z]+/g, '-')}@example.com`, { admin: a.sysadmin });
        tokens.set(a.name, who.token);
        if (a.role) await makeMember(owners.own, org.own, who, a.role.key);
        // the member of another organization: an active user with an organization of their own
        else if (!a.sysadmin) await organization(who, 'Their Org');
      }
    });
    after(() => t.close());

    /** A browser session of the token's user on the invitation page: cookie and form token. */
    async function session(token: string): Promise<{ cookie: string; csrf: string }> {
      const identity = await t.rt.verifier.verify(token);
      const { userId } = await t.services.users.principalFor(identity);
      const { cookie } = await t.services.sessions.start({ userId, identity, refreshToken: undefined });
      const s = await t.services.sessions.find(cookie);
      assert.ok(s);
      return { cookie: `admit_session=${cookie}`, csrf: s.csrfToken };
    }

    async function run(call: Call, token: string | undefined) {
      if (call.form) {
        const s = token ? await session(token) : undefined;
        return t.app.inject({
          method: 'POST',
          url: call.url,
          headers: {
            'content-type': 'application/x-www-form-urlencoded',
            ...(s ? { cookie: s.cookie } : {}),
          },
          payload: new URLSearchParams(s ? { csrf: s.csrf } : {}).toString(),
        });
      }
      const api = client(t.app, token);
      if (call.method === 'GET') return api.get(call.url);
      if (call.method === 'DELETE') return api.delete(call.url);
      if (call.method === 'PATCH') return api.patch(call.url, call.body);
      return api.post(call.url, call.body);
    }

    /** The cell's request with every id but the own organization's replaced by one that exists nowhere. */
    async function nowhere(call: Call, token: string | undefined) {
      const url = call.url.replace(UUID, (id) => (id === org.own ? id : randomUUID()));
      if (url === call.url) return undefined;
      hidden++;
      return run({ ...call, url }, token);
    }

    for (const op of OPS) {
      it(`${op.surface}: ${op.name}`, async () => {
        const failures: string[] = [];
        for (const a of ACTORS) {
          for (const scope of ['own', 'foreign', 'cross'] as const) {
            if (!applies(op, a, scope)) continue;
            const addressee = `invitee-${fresh()}@example.com`;
            const token =
              a.kind === 'anonymous'
                ? undefined
                : a.addressee
                  ? await t.token(addressee)
                  : tokens.get(a.name);
            const call = await prepare(op, scope, addressee);
            const res = await run(call, token);
            const want = expected(op, a, scope);
            cells++;
            let got = `${res.statusCode}`;
            let wanted = `${want.status}`;
            if (want.sees !== undefined && res.statusCode === 200) {
              const body = res.json<unknown>();
              const listed = JSON.stringify(body).includes(`"${call.lookFor}"`);
              got += listed ? ' listed' : ' not listed';
              wanted += want.sees ? ' listed' : ' not listed';
            }
            if (want.families !== undefined && res.statusCode === 200) {
              const types = res.json<{ type: string }[]>().map((e) => e.type.split('.')[0]);
              got += ` [${[...new Set(types)].sort().join(' ')}]`;
              wanted += ` [${want.families.join(' ')}]`;
            }
            if (res.statusCode === 401) assert.match(String(res.headers['www-authenticate']), /^Bearer/);
            if (got !== wanted)
              failures.push(
                `${a.name} × ${scope}: ${call.method} ${call.url} → ${got}, expected ${wanted}: ${res.body.slice(0, 160)}`,
              );
            else if (want.status === 404 && scope !== 'own') {
              const unknown = await nowhere(call, token);
              if (unknown && (unknown.statusCode !== 404 || unknown.body !== res.body))
                failures.push(
                  `${a.name} × ${scope}: ${call.method} ${call.url} → ${res.body.slice(0, 160)}, but for ids that exist nowhere ${unknown.statusCode} ${unknown.body.slice(0, 160)}`,
                );
            }
          }
        }
        assert.deepEqual(failures, []);
      });
    }
  });
}

after(() =>
  console.log(
    `authorization matrix: ${cells} cells checked; ${hidden} 404s the same as for ids that exist nowhere`,
  ),
);
