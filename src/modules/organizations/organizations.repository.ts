import { sql } from 'kysely';
import { affected, precompiled, precompiledFirst, precompiledResult } from '../../db/precompiled.js';
import type { MembershipsTable, OrganizationsTable, RolesTable, WorkspacesTable } from '../../db/schema.js';
import type { Executor } from '../../db/tx.js';

export function findOrganization(db: Executor, id: string) {
  return db.selectFrom('organizations').selectAll().where('id', '=', id).executeTakeFirst();
}

export async function countMembers(db: Executor, organizationId: string): Promise<number> {
  const row = await db
    .selectFrom('memberships')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('organization_id', '=', organizationId)
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

export async function insertOrganization(db: Executor, row: OrganizationsTable): Promise<void> {
  await db.insertInto('organizations').values(row).execute();
}

export async function updateOrganization(
  db: Executor,
  id: string,
  fields: Partial<Pick<OrganizationsTable, 'name' | 'logo_url'>> & { updated_at: number },
): Promise<void> {
  await db.updateTable('organizations').set(fields).where('id', '=', id).execute();
}

/** Organizations the user belongs to, oldest membership first. */
export function listOrganizationsOfUser(db: Executor, userId: string) {
  return db
    .selectFrom('memberships as m')
    .innerJoin('organizations as o', 'o.id', 'm.organization_id')
    .selectAll('o')
    .where('m.user_id', '=', userId)
    .orderBy('m.created_at')
    .orderBy('o.id')
    .execute();
}

export function listAllOrganizations(db: Executor) {
  return db.selectFrom('organizations').selectAll().orderBy('created_at').orderBy('id').execute();
}

/**
 * The caller's membership in an organization with its role, or undefined. Checked on every
 * organization-scoped request (access.ts), so it runs precompiled.
 */
export const findMembershipWithRole = precompiledFirst(
  (db: Executor, organizationId: string, userId: string) =>
    db
      .selectFrom('memberships as m')
      .innerJoin('roles as r', 'r.id', 'm.role_id')
      .select(['m.id', 'm.user_id', 'm.role_id', 'm.created_at', 'r.key as role_key', 'r.permissions'])
      .where('m.organization_id', '=', organizationId)
      .where('m.user_id', '=', userId),
);

export function listMembers(db: Executor, organizationId: string) {
  return db
    .selectFrom('memberships as m')
    .innerJoin('users as u', 'u.id', 'm.user_id')
    .innerJoin('roles as r', 'r.id', 'm.role_id')
    .select(['m.user_id', 'u.email', 'u.name', 'r.key as role_key', 'm.created_at'])
    .where('m.organization_id', '=', organizationId)
    .orderBy('m.created_at')
    .orderBy('m.user_id')
    .execute();
}

export function findMember(db: Executor, organizationId: string, userId: string) {
  return db
    .selectFrom('memberships as m')
    .innerJoin('users as u', 'u.id', 'm.user_id')
    .innerJoin('roles as r', 'r.id', 'm.role_id')
    .select(['m.user_id', 'u.email', 'u.name', 'r.key as role_key', 'r.permissions', 'm.created_at'])
    .where('m.organization_id', '=', organizationId)
    .where('m.user_id', '=', userId)
    .executeTakeFirst();
}

/**
 * Serializes the transactions that change one organization's owners, so the last-owner check of
 * each sees the other's outcome. PostgreSQL: a no-op UPDATE takes the organization row's lock until
 * commit (read committed alone let two owners demote each other). SQLite: the write transaction is
 * already exclusive; the same statement is harmless there, so both databases run one query.
 */
export async function lockOrganization(db: Executor, organizationId: string): Promise<void> {
  await db
    .updateTable('organizations')
    .set((eb) => ({ id: eb.ref('id') }))
    .where('id', '=', organizationId)
    .execute();
}

export async function countOwners(db: Executor, organizationId: string): Promise<number> {
  const row = await db
    .selectFrom('memberships as m')
    .innerJoin('roles as r', 'r.id', 'm.role_id')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('m.organization_id', '=', organizationId)
    .where('r.key', '=', 'owner')
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

export async function setMemberRole(db: Executor, organizationId: string, userId: string, roleId: string) {
  await db
    .updateTable('memberships')
    .set({ role_id: roleId })
    .where('organization_id', '=', organizationId)
    .where('user_id', '=', userId)
    .execute();
}

export async function deleteMember(db: Executor, organizationId: string, userId: string): Promise<void> {
  await db
    .deleteFrom('workspace_memberships')
    .where('organization_id', '=', organizationId)
    .where('user_id', '=', userId)
    .execute();
  await db
    .deleteFrom('memberships')
    .where('organization_id', '=', organizationId)
    .where('user_id', '=', userId)
    .execute();
}

const membershipInsert = precompiledResult((db: Executor, row: MembershipsTable) =>
  db
    .insertInto('memberships')
    .values(row)
    .onConflict((oc) => oc.columns(['organization_id', 'user_id']).doNothing()),
);

/** Inserts the membership unless the user is already a member; true when this call inserted it. */
export async function insertMembership(db: Executor, row: MembershipsTable): Promise<boolean> {
  return affected(await membershipInsert(db, row)) === 1;
}

export async function insertWorkspaceMembership(
  db: Executor,
  row: {
    id: string;
    workspace_id: string;
    organization_id: string;
    user_id: string;
    source_invitation_id: string | null;
    created_at: number;
  },
): Promise<void> {
  await db
    .insertInto('workspace_memberships')
    .values(row)
    .onConflict((oc) => oc.columns(['workspace_id', 'user_id']).doNothing())
    .execute();
}

/** A member of the organization known by this (verified) canonical email: a query to embed. */
export function memberWithEmail(db: Executor, organizationId: string, email: string) {
  return db
    .selectFrom('memberships as m')
    .innerJoin('users as u', 'u.id', 'm.user_id')
    .select('m.id')
    .where('m.organization_id', '=', organizationId)
    .where('u.email', '=', email)
    .where('u.email_verified', '=', sql.lit(1))
    .limit(sql.lit(1));
}

// Roles

export async function insertRole(db: Executor, row: RolesTable): Promise<void> {
  await db.insertInto('roles').values(row).execute();
}

export function listRoles(db: Executor, organizationId: string) {
  return db
    .selectFrom('roles')
    .selectAll()
    .where('organization_id', '=', organizationId)
    .orderBy('created_at')
    .orderBy('key')
    .execute();
}

export const findRoleByKey = precompiledFirst((db: Executor, organizationId: string, key: string) =>
  db.selectFrom('roles').selectAll().where('organization_id', '=', organizationId).where('key', '=', key),
);

export function findRoleById(db: Executor, organizationId: string, id: string) {
  return db
    .selectFrom('roles')
    .selectAll()
    .where('organization_id', '=', organizationId)
    .where('id', '=', id)
    .executeTakeFirst();
}

export async function updateRole(
  db: Executor,
  id: string,
  fields: Partial<Pick<RolesTable, 'name' | 'permissions'>> & { updated_at: number },
): Promise<void> {
  await db.updateTable('roles').set(fields).where('id', '=', id).execute();
}

// Workspaces

export async function insertWorkspace(db: Executor, row: WorkspacesTable): Promise<void> {
  await db.insertInto('workspaces').values(row).execute();
}

export function listWorkspaces(db: Executor, organizationId: string) {
  return db
    .selectFrom('workspaces')
    .select(['id', 'name'])
    .where('organization_id', '=', organizationId)
    .orderBy('created_at')
    .orderBy('id')
    .execute();
}

export function findWorkspace(db: Executor, organizationId: string, id: string) {
  return db
    .selectFrom('workspaces')
    .select(['id', 'name'])
    .where('organization_id', '=', organizationId)
    .where('id', '=', id)
    .executeTakeFirst();
}

/** Organization ids where the user's role holds the permission (space-delimited match). */
export function organizationIdsWithPermission(db: Executor, userId: string, permission: string) {
  return db
    .selectFrom('memberships as m')
    .innerJoin('roles as r', 'r.id', 'm.role_id')
    .select('m.organization_id')
    .where('m.user_id', '=', userId)
    .where(sql<string>`' ' || r.permissions || ' '`, 'like', `% ${permission} %`);
}

/** The organizations where the user holds invitations:read (the cross-organization list's scope). */
export const organizationsWhereInvitationsRead = precompiled((db: Executor, userId: string) =>
  organizationIdsWithPermission(db, userId, 'invitations:read'),
);
