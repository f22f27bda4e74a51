import type { Db } from '../../db/create-db.js';
import { type Executor, inTransaction } from '../../db/tx.js';
import type { Clock } from '../../platform/clock.js';
import type { Ids } from '../../platform/ids.js';
import { actorOf, type Member, memberShape } from '../events/event.model.js';
import { recordEvent } from '../events/record.js';
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

export type { Member } from '../events/event.model.js';

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

export function createMembersService(deps: { db: Db; clock: Clock; ids: Ids }) {
  const { db, clock, ids } = deps;

  /** membership.<type>, in the change's transaction. */
  function membershipEvent(
    trx: Executor,
    type: 'membership.updated' | 'membership.removed',
    principal: Principal,
    organizationId: string,
    member: Member,
    previousRole?: string,
  ) {
    return recordEvent(trx, ids, clock.now(), {
      type,
      organizationId,
      actor: actorOf(principal),
      data: { membership: memberShape(member), ...(previousRole !== undefined ? { previousRole } : {}) },
    });
  }

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
        const changed = toMember({ ...member, role_key: role.key });
        await membershipEvent(trx, 'membership.updated', principal, organizationId, changed, member.role_key);
        return changed;
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
        await membershipEvent(trx, 'membership.removed', principal, organizationId, toMember(member));
      });
    },
  };
}

export type MembersService = ReturnType<typeof createMembersService>;
