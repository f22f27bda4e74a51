import assert from 'node:assert/strict';
import { type Client, client, type TestApp } from './app.js';

export interface Actor {
  email: string;
  token: string;
  api: Client;
  userId?: string;
}

export async function actor(
  t: TestApp,
  email: string,
  opts: { name?: string; admin?: boolean; emailVerified?: boolean } = {},
): Promise<Actor> {
  const token = await t.token(email, opts);
  return { email, token, api: client(t.app, token) };
}

/** An organization owned by `owner`; returns its id. */
export async function organization(owner: Actor, name = 'Acme Corp'): Promise<string> {
  const res = await owner.api.post('/v1/organizations', { name });
  assert.equal(res.statusCode, 201, res.body);
  return res.json<{ id: string }>().id;
}

export const tokenOf = (url: string): string => url.slice(url.lastIndexOf('/') + 1);

export interface Created {
  id: string;
  url: string;
  token: string;
  email: string;
  role: string;
  status: string;
}

export async function invite(
  by: Actor,
  orgId: string,
  email: string,
  role = 'member',
  extra: Record<string, unknown> = {},
): Promise<Created> {
  const res = await by.api.post(`/v1/organizations/${orgId}/invitations`, { email, role, ...extra });
  assert.equal(res.statusCode, 201, res.body);
  const body = res.json<Created>();
  return { ...body, token: tokenOf(body.url) };
}

/** Makes `who` a member with `role` by inviting and accepting through the public API; returns their user id. */
export async function makeMember(owner: Actor, orgId: string, who: Actor, role = 'member'): Promise<string> {
  const inv = await invite(owner, orgId, who.email, role, { sendEmail: false });
  const res = await who.api.post(`/api/v1/invitations/${inv.token}/accept`);
  assert.equal(res.statusCode, 200, res.body);
  return res.json<{ data: { membership: { user_id: string } } }>().data.membership.user_id;
}
