import assert from 'node:assert/strict';
import type { LightMyRequestResponse } from 'fastify';
import type { TestApp } from './app.js';
import { checkedClient } from './contract.js';
import { type Actor, invite } from './fixtures.js';

// Helpers for the admin API (seed 003) tests: actors whose every response is contract-checked.

export async function checkedActor(
  t: TestApp,
  email: string,
  opts: { name?: string; admin?: boolean; emailVerified?: boolean } = {},
): Promise<Actor> {
  const token = await t.token(email, opts);
  return { email, token, api: checkedClient(t.app, token) };
}

/** Asserts an application/problem+json error with the status and stable code. */
export function assertProblem(res: LightMyRequestResponse, status: number, code?: string): void {
  assert.equal(res.statusCode, status, res.body);
  assert.match(String(res.headers['content-type']), /^application\/problem\+json/);
  const body = JSON.parse(res.body) as { status: number; code: string; type: string; title: string };
  assert.equal(body.status, status);
  assert.match(body.code, /^[a-z][a-z0-9_]*$/);
  if (code) assert.equal(body.code, code, res.body);
}

export const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
export const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export { tokenOf } from './fixtures.js';

/** Creates an invitation through the admin API (one helper for every suite). */
export const createInvitation = invite;

/** Invites and accepts through the public API; returns the new member's user id. */
export async function makeMember(owner: Actor, orgId: string, who: Actor, role = 'member'): Promise<string> {
  const inv = await createInvitation(owner, orgId, who.email, role, { sendEmail: false });
  const res = await who.api.post(`/api/v1/invitations/${inv.token}/accept`);
  assert.equal(res.statusCode, 200, res.body);
  return res.json<{ data: { membership: { user_id: string } } }>().data.membership.user_id;
}

/** The user id behind an actor (provisions the user if needed). */
export async function userIdOf(t: TestApp, who: Actor): Promise<string> {
  const principal = await t.rt.verifier.verify(who.token);
  const row = await t.rt.db.kysely
    .selectFrom('users')
    .select('id')
    .where('issuer', '=', principal.issuer)
    .where('subject', '=', principal.subject)
    .executeTakeFirst();
  assert.ok(row, `no user row for ${who.email}`);
  return row.id;
}
