import type { Limit } from '../../config.js';
import type { Db } from '../../db/create-db.js';
import { inTransaction } from '../../db/tx.js';
import type { Clock } from '../../platform/clock.js';
import type { Counters } from '../../platform/counters.js';
import type { Ids } from '../../platform/ids.js';
import { type QuotaCheck, withQuotas } from '../quotas/reserve.js';
import type { Principal } from '../users/principal.js';
import { accessTo, clientStanding, requirePermission } from './access.js';
import { organizationErrors } from './organizations.errors.js';
import {
  countMembers,
  findOrganization,
  insertMembership,
  insertOrganization,
  insertRole,
  insertWorkspace,
  listAllOrganizations,
  listOrganizationsOfUser,
  listWorkspaces,
  updateOrganization,
} from './organizations.repository.js';
import { BUILTIN_ROLES, formatPermissions, OWNER_ROLE_KEY } from './permissions.policy.js';

export interface Organization {
  id: string;
  name: string;
  logoUrl: string | null;
  createdAt: number;
}

export interface Workspace {
  id: string;
  name: string;
}

type OrgRow = { id: string; name: string; logo_url: string | null; created_at: number };
const toOrganization = (r: OrgRow): Organization => ({
  id: r.id,
  name: r.name,
  logoUrl: r.logo_url,
  createdAt: r.created_at,
});

export function createOrganizationsService(deps: {
  db: Db;
  clock: Clock;
  ids: Ids;
  counters: Counters;
  /** organizations created per user (RELIABILITY-PLAN case 56) */
  quotaOrgCreate: Limit;
}) {
  const { db, clock, ids } = deps;

  return {
    /** Any signed-in user may create one; the built-in roles are seeded and the creator becomes owner. */
    async create(
      principal: Principal,
      input: { name: string; logoUrl?: string | null },
    ): Promise<Organization> {
      // its creator becomes owner, and a client is never a member
      if (principal.kind === 'client') throw organizationErrors.clientCannotOwn();
      const now = clock.now();
      const org = {
        id: ids.uuid(),
        name: input.name,
        logo_url: input.logoUrl ?? null,
        created_at: now,
        updated_at: now,
      };
      const quota: QuotaCheck = {
        limit: deps.quotaOrgCreate,
        key: `org-create:${principal.userId}`,
        exceeded: (seconds) => organizationErrors.quota(seconds),
      };
      await withQuotas(deps.counters, [quota], () =>
        inTransaction(db, async (trx) => {
          await insertOrganization(trx, org);
          let ownerRoleId = '';
          for (const role of BUILTIN_ROLES) {
            const id = ids.uuid();
            if (role.key === OWNER_ROLE_KEY) ownerRoleId = id;
            await insertRole(trx, {
              id,
              organization_id: org.id,
              key: role.key,
              name: role.name,
              permissions: formatPermissions(role.permissions),
              created_at: now,
              updated_at: now,
            });
          }
          await insertMembership(trx, {
            id: ids.uuid(),
            organization_id: org.id,
            user_id: principal.userId,
            role_id: ownerRoleId,
            source_invitation_id: null,
            created_at: now,
          });
        }),
      );
      return toOrganization(org);
    },

    /** The organizations the caller is a member of (for a system admin: every organization). */
    async listMine(principal: Principal): Promise<Organization[]> {
      if (principal.isSystemAdmin) return (await listAllOrganizations(db.kysely)).map(toOrganization);
      if (principal.client) {
        // a client is no member: it has its one organization through its role
        const standing = await clientStanding(db.reads, principal);
        const row = standing && (await findOrganization(db.kysely, standing.organizationId));
        return row ? [toOrganization(row)] : [];
      }
      return (await listOrganizationsOfUser(db.kysely, principal.userId)).map(toOrganization);
    },

    /** Needs membership. */
    async get(principal: Principal, organizationId: string): Promise<Organization & { memberCount: number }> {
      await accessTo(db.reads, principal, organizationId);
      const row = await findOrganization(db.kysely, organizationId);
      if (!row) throw organizationErrors.notFound();
      return { ...toOrganization(row), memberCount: await countMembers(db.kysely, organizationId) };
    },

    /** Needs organization:write. */
    async update(
      principal: Principal,
      organizationId: string,
      patch: { name?: string; logoUrl?: string | null },
    ): Promise<Organization & { memberCount: number }> {
      await requirePermission(db.reads, principal, organizationId, 'organization:write');
      const fields: { name?: string; logo_url?: string | null; updated_at: number } = {
        updated_at: clock.now(),
      };
      if (patch.name !== undefined) fields.name = patch.name;
      if (patch.logoUrl !== undefined) fields.logo_url = patch.logoUrl;
      await updateOrganization(db.kysely, organizationId, fields);
      return this.get(principal, organizationId);
    },

    /** Needs organization:write. */
    async createWorkspace(
      principal: Principal,
      organizationId: string,
      input: { name: string },
    ): Promise<Workspace> {
      await requirePermission(db.reads, principal, organizationId, 'organization:write');
      const row = {
        id: ids.uuid(),
        organization_id: organizationId,
        name: input.name,
        created_at: clock.now(),
      };
      await insertWorkspace(db.kysely, row);
      return { id: row.id, name: row.name };
    },

    /** Needs membership. */
    async listWorkspaces(principal: Principal, organizationId: string): Promise<Workspace[]> {
      await accessTo(db.reads, principal, organizationId);
      return listWorkspaces(db.kysely, organizationId);
    },
  };
}

export type OrganizationsService = ReturnType<typeof createOrganizationsService>;
