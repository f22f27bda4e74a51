import type { Db } from '../../db/create-db.js';
import { inTransaction } from '../../db/tx.js';
import type { Principal } from '../users/principal.js';
import { requirePermission } from './access.js';
import { organizationErrors } from './organizations.errors.js';
import {
  countOwners,
  deleteMember,
  findMember,
  findRoleByKey,
  listMembers,
  lockOrganization,
  setMemberRole,
} from './organizations.repository.js';
import { OWNER_ROLE_KEY, parsePermissions, withinCeiling } from './permissions.policy.js';

export interface Member {
  userId: string;
  email: string | null;
  name: string | null;
  role: string;
  joinedAt: number;
}

type MemberRow = {
  user_id: string;
  email: string | null;
  name: string | null;
  role_key: string;
  created_at: number;
};
const toMember = (r: MemberRow): Member => ({
  userId: r.user_id,
  email: r.email,
  name: r.name,
  role: r.role_key,
  joinedAt: r.created_at,
});

export function createMembersService(deps: { db: Db }) {
  const { db } = deps;
  return {
    /** Needs members:read. */
    async list(principal: Principal, organizationId: string): Promise<Member[]> {
      await requirePermission(db.reads, principal, organizationId, 'members:read');
      return (await listMembers(db.kysely, organizationId)).map(toMember);
    },

    /**
     * Needs members:write. Role ceiling both ways: the caller must hold every permission of the new
     * role and of the member's current role (an admin can neither make nor unmake an owner). The last
     * owner cannot be demoted (checked inside the transaction).
     */
    async changeRole(
      principal: Principal,
      organizationId: string,
      userId: string,
      roleKey: string,
    ): Promise<Member> {
      const access = await requirePermission(db.reads, principal, organizationId, 'members:write');
      return inTransaction(db, async (trx) => {
        // lock before reading: two owners demoting each other must not both see two owners
        await lockOrganization(trx, organizationId);
        const member = await findMember(trx, organizationId, userId);
        if (!member) throw organizationErrors.memberNotFound();
        const role = await findRoleByKey(trx, organizationId, roleKey);
        if (!role) throw organizationErrors.unknownRole(roleKey);
        if (
          !withinCeiling(access.permissions, parsePermissions(role.permissions)) ||
          !withinCeiling(access.permissions, parsePermissions(member.permissions))
        ) {
          throw organizationErrors.roleCeiling();
        }
        if (
          member.role_key === OWNER_ROLE_KEY &&
          role.key !== OWNER_ROLE_KEY &&
          (await countOwners(trx, organizationId)) <= 1
        ) {
          throw organizationErrors.lastOwner();
        }
        await setMemberRole(trx, organizationId, userId, role.id);
        return toMember({ ...member, role_key: role.key });
      });
    },

    /** Needs members:write and the ceiling over the member's role; the last owner stays. */
    async remove(principal: Principal, organizationId: string, userId: string): Promise<void> {
      const access = await requirePermission(db.reads, principal, organizationId, 'members:write');
      await inTransaction(db, async (trx) => {
        await lockOrganization(trx, organizationId);
        const member = await findMember(trx, organizationId, userId);
        if (!member) throw organizationErrors.memberNotFound();
        if (!withinCeiling(access.permissions, parsePermissions(member.permissions)))
          throw organizationErrors.roleCeiling();
        if (member.role_key === OWNER_ROLE_KEY && (await countOwners(trx, organizationId)) <= 1) {
          throw organizationErrors.lastOwner();
        }
        await deleteMember(trx, organizationId, userId);
      });
    },
  };
}

export type MembersService = ReturnType<typeof createMembersService>;
