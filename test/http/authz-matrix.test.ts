import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import * as oidc from 'openid-client';
import { client, createTestApp, type TestApp } from '../support/app.js';
import {
  ACTORS,
  applies,
  CATALOGUE,
  expected,
  OPS,
  type OpSpec,
  type Scope,
} from '../support/authz-table.js';
import { dialects } from '../support/db.js';
import { type Actor, actor, invite, makeMember, organization } from '../support/fixtures.js';
import { discover, registerClient } from '../support/oauth.js';

// The authorization matrix as one table (test/support/authz-table.ts, written from SPEC §2): every
// actor × every operation of every surface × own / foreign organization (and the own organization's
// path naming the other one's object), each cell with its expected status. Fixtures are made fresh
// for every cell that changes something, so no cell depends on another.

interface Call {
  method: 'GET' | 'POST' | 'PATCH' | 'DELETE';
  url: string;
  body?: unknown;
  /** the page's form post: the actor's session cookie and form token go with it */
  form?: boolean;
  /** list operations: the id whose presence `sees` is about */
  lookFor?: string;
}

let cells = 0;

for (const dialect of dialects()) {
  describe(`[${dialect}] authorization matrix`, () => {
    let t: TestApp;
    const org = { own: '', foreign: '' };
    const owners = {} as Record<'own' | 'foreign', Actor>;
    const tokens = new Map<string, string>();
    let n = 0;
    const fresh = () => `${dialect}-${++n}`;

    before(async () => {
      t = await createTestApp(dialect);
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

    const objectSide = (scope: Scope) => (scope === 'own' ? 'own' : 'foreign');
    const pathOrg = (scope: Scope) => `/v1/organizations/${scope === 'foreign' ? org.foreign : org.own}`;
    const invitation = (scope: Scope, email = `x-${fresh()}@example.com`) =>
      invite(owners[objectSide(scope)], org[objectSide(scope)], email, 'guest', { sendEmail: false });
    const member = async (scope: Scope) => {
      const side = objectSide(scope);
      return makeMember(owners[side], org[side], await actor(t, `m-${fresh()}@example.com`), 'guest');
    };
    const role = async (scope: Scope) => {
      const side = objectSide(scope);
      const res = await owners[side].api.post(`/v1/organizations/${org[side]}/roles`, {
        key: `r-${fresh()}`,
        name: 'R',
        permissions: [],
      });
      return res.json<{ id: string }>().id;
    };

    /** The request of one cell; `addressee` is the email the cell's invitation goes to. */
    async function prepare(op: OpSpec, scope: Scope, addressee: string): Promise<Call> {
      const o = pathOrg(scope);
      switch (op.name) {
        case 'create organization':
          return { method: 'POST', url: '/v1/organizations', body: { name: 'New' } };
        case 'list my organizations':
          return { method: 'GET', url: '/v1/organizations', lookFor: org[objectSide(scope)] };
        case 'get organization':
          return { method: 'GET', url: o };
        case 'update organization':
          return { method: 'PATCH', url: o, body: { name: 'Renamed' } };
        case 'list members':
          return { method: 'GET', url: `${o}/members` };
        case "change a member's role":
          return { method: 'PATCH', url: `${o}/members/${await member(scope)}`, body: { role: 'guest' } };
        case 'remove a member':
          return { method: 'DELETE', url: `${o}/members/${await member(scope)}` };
        case 'create workspace':
          return { method: 'POST', url: `${o}/workspaces`, body: { name: 'W' } };
        case 'list workspaces':
          return { method: 'GET', url: `${o}/workspaces` };
        case 'create role':
          return {
            method: 'POST',
            url: `${o}/roles`,
            body: { key: `k-${fresh()}`, name: 'K', permissions: [] },
          };
        case 'list roles':
          return { method: 'GET', url: `${o}/roles` };
        case 'update role':
          return { method: 'PATCH', url: `${o}/roles/${await role(scope)}`, body: { name: 'Renamed' } };
        case 'create invitation':
          return {
            method: 'POST',
            url: `${o}/invitations`,
            body: { email: `n-${fresh()}@example.com`, role: 'guest', sendEmail: false },
          };
        case 'list invitations':
          return { method: 'GET', url: `${o}/invitations` };
        case 'get invitation':
          return { method: 'GET', url: `${o}/invitations/${(await invitation(scope)).id}` };
        case 'revoke invitation':
          return { method: 'DELETE', url: `${o}/invitations/${(await invitation(scope)).id}` };
        case 'resend invitation':
          return {
            method: 'POST',
            url: `${o}/invitations/${(await invitation(scope)).id}/resend`,
            body: { sendEmail: false },
          };
        case 'list invitations (scoped)':
          return {
            method: 'GET',
            url: '/api/v1/invitations?limit=200',
            lookFor: (await invitation(scope)).id,
          };
        case 'preview by token':
          return { method: 'GET', url: `/api/v1/invitations/${(await invitation(scope)).token}` };
        case 'revoke by id':
          return { method: 'DELETE', url: `/api/v1/invitations/${(await invitation(scope)).id}` };
        case 'accept by token':
        case 'decline by token': {
          const verb = op.name.split(' ')[0];
          return {
            method: 'POST',
            url: `/api/v1/invitations/${(await invitation(scope, addressee)).token}/${verb}`,
          };
        }
        case 'list my pending invitations':
          return { method: 'GET', url: '/invitations', lookFor: (await invitation(scope, addressee)).id };
        case 'get my invitation':
          return { method: 'GET', url: `/invitations/${(await invitation(scope, addressee)).id}` };
        case 'accept by id':
        case 'decline by id': {
          const accept = op.name.startsWith('accept');
          return {
            method: 'POST',
            url: `/invitations/${(await invitation(scope, addressee)).id}?accept=${accept}`,
          };
        }
        case 'page: accept':
        case 'page: decline': {
          const verb = op.name.split(' ')[1];
          return {
            method: 'POST',
            url: `/invite/${(await invitation(scope, addressee)).token}/${verb}`,
            form: true,
          };
        }
      }
      throw new Error(`no request for ${op.name}`);
    }

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
            if (res.statusCode === 401) assert.match(String(res.headers['www-authenticate']), /^Bearer/);
            if (got !== wanted)
              failures.push(
                `${a.name} × ${scope}: ${call.method} ${call.url} → ${got}, expected ${wanted}: ${res.body.slice(0, 160)}`,
              );
          }
        }
        assert.deepEqual(failures, []);
      });
    }
  });
}

after(() => console.log(`authorization matrix: ${cells} cells checked`));
