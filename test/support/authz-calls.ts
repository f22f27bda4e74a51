import assert from 'node:assert/strict';
import type { TestApp } from './app.js';
import type { OpSpec, Scope } from './authz-table.js';
import { type Actor, actor, invite, makeMember } from './fixtures.js';

// The request of each cell of the authorization matrix (test/http/authz-matrix.test.ts), with the
// fixtures it acts on: made fresh for every cell that changes something, so no cell depends on another.

export interface Call {
  method: 'GET' | 'POST' | 'PATCH' | 'DELETE';
  url: string;
  body?: unknown;
  /** the page's form post: the actor's session cookie and form token go with it */
  form?: boolean;
  /** list operations: the id whose presence `sees` is about */
  lookFor?: string;
}

/** Webhooks of the matrix point here (the test app allows the host and runs no dispatcher: never called). */
export const HOOK_HOST = '127.0.0.1:9';
const HOOK_URL = `http://${HOOK_HOST}/hook`;
/** An event type no cell produces (nothing expires: the clock stands), so fixture endpoints collect no deliveries. */
const QUIET = ['invitation.expired'];

type Side = 'own' | 'foreign';

export interface CallDeps {
  t: TestApp;
  org: Record<Side, string>;
  owners: Record<Side, Actor>;
  /** a name no other cell uses */
  fresh(): string;
}

export function createCalls({ t, org, owners, fresh }: CallDeps) {
  const objectSide = (scope: Scope): Side => (scope === 'own' ? 'own' : 'foreign');
  const pathOrg = (scope: Scope) => `/v1/organizations/${scope === 'foreign' ? org.foreign : org.own}`;
  const ownerOf = (scope: Scope) => {
    const side = objectSide(scope);
    return { side, owner: owners[side], base: `/v1/organizations/${org[side]}` };
  };

  const invitation = (scope: Scope, email = `x-${fresh()}@example.com`) =>
    invite(owners[objectSide(scope)], org[objectSide(scope)], email, 'guest', { sendEmail: false });
  const member = async (scope: Scope) => {
    const side = objectSide(scope);
    return makeMember(owners[side], org[side], await actor(t, `m-${fresh()}@example.com`), 'guest');
  };
  const role = async (scope: Scope) => {
    const { owner, base } = ownerOf(scope);
    const res = await owner.api.post(`${base}/roles`, { key: `r-${fresh()}`, name: 'R', permissions: [] });
    return res.json<{ id: string }>().id;
  };
  const webhook = async (scope: Scope, events = QUIET) => {
    const { owner, base } = ownerOf(scope);
    const res = await owner.api.post(`${base}/webhooks`, { url: HOOK_URL, events });
    assert.equal(res.statusCode, 201, res.body);
    return res.json<{ id: string }>().id;
  };
  /** One endpoint per organization with one delivery (replaying adds deliveries, changes nothing else). */
  const deliveries = new Map<Side, Promise<{ webhookId: string; deliveryId: string }>>();
  const delivery = (scope: Scope) => {
    const { side, owner, base } = ownerOf(scope);
    let made = deliveries.get(side);
    if (!made) {
      made = (async () => {
        const webhookId = await webhook(scope, ['invitation.created']);
        await invitation(scope);
        const list = await owner.api.get(`${base}/webhooks/${webhookId}/deliveries`);
        const [first] = list.json<{ id: string }[]>();
        assert.ok(first, list.body);
        // quiet from now on: the other cells' invitations queue nothing more for it
        const quiet = await owner.api.patch(`${base}/webhooks/${webhookId}`, { events: QUIET });
        assert.equal(quiet.statusCode, 200, quiet.body);
        return { webhookId, deliveryId: first.id };
      })();
      deliveries.set(side, made);
    }
    return made;
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
      // a new member (invited, accepted): the newest events are of both families
      case 'list events':
        await member(scope);
        return { method: 'GET', url: `${o}/events?limit=10` };
      case 'list events ?type=invitation.*':
        await member(scope);
        return { method: 'GET', url: `${o}/events?type=invitation.accepted&limit=10` };
      case 'list events ?type=membership.*':
        await member(scope);
        return { method: 'GET', url: `${o}/events?type=membership.created&limit=10` };
      case 'create webhook':
        return { method: 'POST', url: `${o}/webhooks`, body: { url: HOOK_URL, events: QUIET } };
      case 'list webhooks':
        return { method: 'GET', url: `${o}/webhooks` };
      case 'get webhook':
        return { method: 'GET', url: `${o}/webhooks/${await webhook(scope)}` };
      case 'update webhook':
        return {
          method: 'PATCH',
          url: `${o}/webhooks/${await webhook(scope)}`,
          body: { description: 'changed', enabled: false },
        };
      case 'delete webhook':
        return { method: 'DELETE', url: `${o}/webhooks/${await webhook(scope)}` };
      case 'rotate webhook secret':
        return { method: 'POST', url: `${o}/webhooks/${await webhook(scope)}/rotate-secret` };
      case 'list webhook deliveries':
        return { method: 'GET', url: `${o}/webhooks/${(await delivery(scope)).webhookId}/deliveries` };
      case 'replay a delivery': {
        const d = await delivery(scope);
        return { method: 'POST', url: `${o}/webhooks/${d.webhookId}/deliveries/${d.deliveryId}/replay` };
      }
    }
    throw new Error(`no request for ${op.name}`);
  }

  return { prepare };
}
