import assert from 'node:assert/strict';
import { type Kysely, sql } from 'kysely';
import type { Database } from '../../src/db/schema.js';

/**
 * RELIABILITY-PLAN §4 invariants, the same queries on SQLite and PostgreSQL:
 * 1. no duplicate (organization, user) membership;
 * 2. every accepted invitation has exactly one membership of (org, acceptor) — created from it
 *    (source_invitation_id = id) or pre-existing — and every membership with a source invitation
 *    points at an accepted invitation of the same organization, accepted by that user; the same for
 *    workspace memberships of workspace invitations;
 * 3. at most one stored pending invitation per (organization, email);
 * 4. terminal columns consistent with the status;
 * 5. every invitation whose mail was asked for (delivery other than `none`) has its outbox row;
 * on SQLite also `PRAGMA integrity_check` = ok and `PRAGMA foreign_key_check` empty (a torn write
 * after a crash would show there first).
 */
export async function checkInvariants(
  db: Kysely<Database>,
  opts: { dialect?: 'sqlite' | 'postgres' } = {},
): Promise<void> {
  if (opts.dialect === 'sqlite') {
    const integrity = await sql<{ integrity_check: string }>`pragma integrity_check`.execute(db);
    assert.deepEqual(
      integrity.rows.map((r) => r.integrity_check),
      ['ok'],
      'PRAGMA integrity_check',
    );
    const fk = await sql<Record<string, unknown>>`pragma foreign_key_check`.execute(db);
    assert.deepEqual(fk.rows, [], 'PRAGMA foreign_key_check');
  }
  const dupMembers = await db
    .selectFrom('memberships')
    .select(['organization_id', 'user_id', (eb) => eb.fn.countAll<number>().as('n')])
    .groupBy(['organization_id', 'user_id'])
    .having((eb) => eb.fn.countAll(), '>', 1)
    .execute();
  assert.deepEqual(dupMembers, [], 'duplicate (organization, user) memberships');

  const invitations = await db.selectFrom('invitations').selectAll().execute();
  const memberships = await db.selectFrom('memberships').selectAll().execute();
  const wsMemberships = await db.selectFrom('workspace_memberships').selectAll().execute();
  const byId = new Map(invitations.map((i) => [i.id, i]));

  for (const inv of invitations) {
    if (inv.status !== 'accepted') continue;
    assert.ok(inv.accepted_by, `accepted invitation ${inv.id} has no acceptor`);
    const own = memberships.filter(
      (m) => m.organization_id === inv.organization_id && m.user_id === inv.accepted_by,
    );
    assert.equal(own.length, 1, `accepted invitation ${inv.id} has ${own.length} memberships`);
    if (inv.workspace_id) {
      const ws = wsMemberships.filter(
        (w) => w.workspace_id === inv.workspace_id && w.user_id === inv.accepted_by,
      );
      assert.equal(
        ws.length,
        1,
        `accepted workspace invitation ${inv.id} has ${ws.length} workspace memberships`,
      );
    }
  }
  for (const m of [...memberships, ...wsMemberships]) {
    if (!m.source_invitation_id) continue;
    const inv = byId.get(m.source_invitation_id);
    assert.ok(inv, `membership ${m.id} points at a missing invitation`);
    assert.equal(inv.status, 'accepted', `membership ${m.id} was created from a ${inv.status} invitation`);
    assert.equal(inv.accepted_by, m.user_id, `membership ${m.id} belongs to someone else than the acceptor`);
    assert.equal(inv.organization_id, m.organization_id);
  }

  const pending = new Map<string, number>();
  for (const inv of invitations) {
    if (inv.status !== 'pending') continue;
    const key = `${inv.organization_id}|${inv.email}`;
    pending.set(key, (pending.get(key) ?? 0) + 1);
  }
  for (const [key, n] of pending) assert.ok(n <= 1, `${n} stored pending invitations for ${key}`);

  const mailed = new Set(
    (
      await db.selectFrom('outbox').select('invitation_id').where('invitation_id', 'is not', null).execute()
    ).map((r) => r.invitation_id),
  );
  for (const inv of invitations) {
    if (inv.delivery_status === 'none') continue;
    assert.ok(mailed.has(inv.id), `invitation ${inv.id} (delivery ${inv.delivery_status}) has no outbox row`);
  }

  for (const inv of invitations) {
    const s = inv.status;
    assert.equal(inv.accepted_at !== null, s === 'accepted', `accepted_at vs status ${s} (${inv.id})`);
    assert.equal(inv.accepted_by !== null, s === 'accepted', `accepted_by vs status ${s} (${inv.id})`);
    assert.equal(inv.declined_at !== null, s === 'declined', `declined_at vs status ${s} (${inv.id})`);
    assert.equal(inv.revoked_at !== null, s === 'revoked', `revoked_at vs status ${s} (${inv.id})`);
    assert.equal(inv.expired_at !== null, s === 'expired', `expired_at vs status ${s} (${inv.id})`);
    assert.match(inv.token_hash, /^[0-9a-f]{64}$/, 'token_hash is a sha256 hex digest');
  }
}
