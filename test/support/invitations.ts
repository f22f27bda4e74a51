import assert from 'node:assert/strict';
import type { LightMyRequestResponse } from 'fastify';
import type { TestApp } from './app.js';
import { type Actor, actor, invite } from './fixtures.js';

export const DAY = 24 * 60 * 60 * 1000;

/** A workspace in the organization; returns its id. */
export async function workspace(owner: Actor, orgId: string, name = 'Main Workspace'): Promise<string> {
  const res = await owner.api.post(`/v1/organizations/${orgId}/workspaces`, { name });
  assert.equal(res.statusCode, 201, res.body);
  return res.json<{ id: string }>().id;
}

/** A custom role in the organization; returns its id. */
export async function customRole(
  owner: Actor,
  orgId: string,
  key: string,
  name: string,
  permissions: string[],
) {
  const res = await owner.api.post(`/v1/organizations/${orgId}/roles`, { key, name, permissions });
  assert.equal(res.statusCode, 201, res.body);
  return res.json<{ id: string }>().id;
}

/** The envelope error code (/api/v1) or the problem+json code (everything else). */
export function codeOf(res: LightMyRequestResponse | { body: string }): string | undefined {
  const body = JSON.parse(res.body) as { code?: string; error?: { code?: string } };
  return body.error?.code ?? body.code;
}

/** The invitation as the admin API shows it (status derived with the service clock). */
export async function adminView(owner: Actor, orgId: string, id: string) {
  const res = await owner.api.get(`/v1/organizations/${orgId}/invitations/${id}`);
  assert.equal(res.statusCode, 200, res.body);
  return res.json<{ id: string; status: string; email: string; role: string; workspaceId: string | null }>();
}

/** The user id of a signed-in actor, from the database (users are provisioned on first request). */
export async function userIdOf(t: TestApp, email: string): Promise<string> {
  const row = await t.rt.db.kysely
    .selectFrom('users')
    .select('id')
    .where('email', '=', email)
    .executeTakeFirst();
  assert.ok(row, `no user for ${email}`);
  return row.id;
}

export async function membershipsOf(t: TestApp, orgId: string) {
  return t.rt.db.kysely
    .selectFrom('memberships as m')
    .innerJoin('roles as r', 'r.id', 'm.role_id')
    .select(['m.id', 'm.user_id', 'm.source_invitation_id', 'r.key as role'])
    .where('m.organization_id', '=', orgId)
    .execute();
}

export async function workspaceMembershipsOf(t: TestApp, workspaceId: string) {
  return t.rt.db.kysely
    .selectFrom('workspace_memberships')
    .selectAll()
    .where('workspace_id', '=', workspaceId)
    .execute();
}

/**
 * One invitation in each end state reachable by token: accepted (by `acceptor`), declined, revoked,
 * and one that expires after a day (move the clock to expire it). Returns their tokens.
 */
export async function invitationsInEveryState(
  t: TestApp,
  owner: Actor,
  orgId: string,
  acceptorEmail: string,
) {
  const acceptor = await actor(t, acceptorEmail);
  const accepted = await invite(owner, orgId, acceptor.email, 'member', { sendEmail: false });
  assert.equal((await acceptor.api.post(`/api/v1/invitations/${accepted.token}/accept`)).statusCode, 200);
  const carol = await actor(t, 'carol@example.com');
  const declined = await invite(owner, orgId, carol.email, 'member', { sendEmail: false });
  assert.equal((await carol.api.post(`/api/v1/invitations/${declined.token}/decline`)).statusCode, 200);
  const revoked = await invite(owner, orgId, 'dave@example.com', 'member', { sendEmail: false });
  const del = await owner.api.delete(`/v1/organizations/${orgId}/invitations/${revoked.id}`);
  assert.equal(del.statusCode, 204);
  const expiring = await invite(owner, orgId, 'erin@example.com', 'member', {
    sendEmail: false,
    expiresInDays: 1,
  });
  return { accepted, declined, revoked, expiring };
}
