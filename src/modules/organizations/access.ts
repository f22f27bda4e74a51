import { type Reader, unbatched } from '../../db/precompiled.js';
import { commonErrors } from '../../errors.js';
import type { Principal } from '../users/principal.js';
import { organizationErrors } from './organizations.errors.js';
import { findMembershipWithRole, findOrganization, findRoleByKey } from './organizations.repository.js';
import { PERMISSIONS, type Permission, parsePermissions } from './permissions.policy.js';

export interface Access {
  organizationId: string;
  permissions: ReadonlySet<Permission>;
  /** undefined for a system administrator who is not a member */
  roleKey: string | undefined;
}

const ALL: ReadonlySet<Permission> = new Set(PERMISSIONS);

/**
 * The caller's standing in an organization, read from the database on every call (a demoted admin
 * loses access at once). Not a member → 404, so existence is not revealed; system admins hold every
 * permission everywhere.
 */
export async function accessTo(db: Reader, principal: Principal, organizationId: string): Promise<Access> {
  if (principal.client) return clientAccess(db, principal, organizationId);
  const membership = await findMembershipWithRole(db, organizationId, principal.userId);
  if (membership) {
    return {
      organizationId,
      permissions: principal.isSystemAdmin ? ALL : new Set(parsePermissions(membership.permissions)),
      roleKey: membership.role_key,
    };
  }
  if (principal.isSystemAdmin && (await findOrganization(unbatched(db), organizationId))) {
    return { organizationId, permissions: ALL, roleKey: undefined };
  }
  throw organizationErrors.notFound();
}

/** A client is no member: its registered organization with its role's permissions (read now), or all as admin. */
async function clientAccess(db: Reader, principal: Principal, organizationId: string): Promise<Access> {
  const client = principal.client;
  if (principal.isSystemAdmin && (await findOrganization(unbatched(db), organizationId))) {
    return { organizationId, permissions: ALL, roleKey: undefined };
  }
  if (client?.organizationId === organizationId && client.roleKey) {
    const role = await findRoleByKey(db, organizationId, client.roleKey);
    if (role)
      return { organizationId, permissions: new Set(parsePermissions(role.permissions)), roleKey: role.key };
  }
  throw organizationErrors.notFound();
}

/**
 * A non-admin client's standing in its one organization (its role's permissions, read now), or
 * undefined when it has none. What a client sees in cross-organization lists follows from this, as a
 * member's follows from its memberships.
 */
export async function clientStanding(db: Reader, principal: Principal): Promise<Access | undefined> {
  const organizationId = principal.client?.organizationId;
  if (!organizationId || principal.isSystemAdmin) return undefined;
  try {
    return await clientAccess(db, principal, organizationId);
  } catch {
    return undefined; // its organization or role is gone: it stands nowhere
  }
}

/** accessTo plus one permission: a member without it gets 403. */
export async function requirePermission(
  db: Reader,
  principal: Principal,
  organizationId: string,
  permission: Permission,
): Promise<Access> {
  const access = await accessTo(db, principal, organizationId);
  if (!access.permissions.has(permission)) throw commonErrors.forbidden(permission);
  return access;
}
