import type { Db } from '../../db/create-db.js';
import { isUniqueViolation } from '../../db/errors.js';
import type { Clock } from '../../platform/clock.js';
import type { Ids } from '../../platform/ids.js';
import type { Principal } from '../users/principal.js';
import { accessTo, requirePermission } from './access.js';
import { organizationErrors } from './organizations.errors.js';
import { findRoleById, insertRole, listRoles, updateRole } from './organizations.repository.js';
import {
  BUILTIN_KEYS,
  formatPermissions,
  isPermission,
  type Permission,
  parsePermissions,
  withinCeiling,
} from './permissions.policy.js';

export interface Role {
  id: string;
  key: string;
  name: string;
  permissions: Permission[];
}

type RoleRow = { id: string; key: string; name: string; permissions: string };
const toRole = (r: RoleRow): Role => ({
  id: r.id,
  key: r.key,
  name: r.name,
  permissions: parsePermissions(r.permissions),
});

function checkPermissions(list: readonly string[]): Permission[] {
  for (const p of list) if (!isPermission(p)) throw organizationErrors.unknownPermission(p);
  return list as Permission[];
}

export function createRolesService(deps: { db: Db; clock: Clock; ids: Ids }) {
  const { db, clock, ids } = deps;
  return {
    /** Needs membership. Built-in roles first, then custom ones in creation order. */
    async list(principal: Principal, organizationId: string): Promise<Role[]> {
      await accessTo(db.reads, principal, organizationId);
      return (await listRoles(db.kysely, organizationId)).map(toRole);
    },

    /** Needs roles:write; the role may hold only permissions the caller holds (role ceiling). */
    async create(
      principal: Principal,
      organizationId: string,
      input: { key: string; name: string; permissions: string[] },
    ): Promise<Role> {
      const access = await requirePermission(db.reads, principal, organizationId, 'roles:write');
      const permissions = checkPermissions(input.permissions);
      if (!withinCeiling(access.permissions, permissions)) throw organizationErrors.roleCeiling();
      const now = clock.now();
      const row = {
        id: ids.uuid(),
        organization_id: organizationId,
        key: input.key,
        name: input.name,
        permissions: formatPermissions(permissions),
        created_at: now,
        updated_at: now,
      };
      try {
        await insertRole(db.kysely, row);
      } catch (err) {
        if (isUniqueViolation(err)) throw organizationErrors.roleExists(input.key);
        throw err;
      }
      return toRole(row);
    },

    /** Needs roles:write; built-in roles are fixed; both the old and new permission sets obey the ceiling. */
    async update(
      principal: Principal,
      organizationId: string,
      roleId: string,
      patch: { name?: string; permissions?: string[] },
    ): Promise<Role> {
      const access = await requirePermission(db.reads, principal, organizationId, 'roles:write');
      const role = await findRoleById(db.kysely, organizationId, roleId);
      if (!role) throw organizationErrors.roleNotFound();
      if (BUILTIN_KEYS.has(role.key)) throw organizationErrors.builtinRole();
      const fields: { name?: string; permissions?: string; updated_at: number } = { updated_at: clock.now() };
      if (patch.name !== undefined) fields.name = patch.name;
      if (patch.permissions !== undefined) {
        const next = checkPermissions(patch.permissions);
        if (
          !withinCeiling(access.permissions, next) ||
          !withinCeiling(access.permissions, parsePermissions(role.permissions))
        ) {
          throw organizationErrors.roleCeiling();
        }
        fields.permissions = formatPermissions(next);
      }
      await updateRole(db.kysely, roleId, fields);
      const updated = await findRoleById(db.kysely, organizationId, roleId);
      if (!updated) throw organizationErrors.roleNotFound();
      return toRole(updated);
    },
  };
}

export type RolesService = ReturnType<typeof createRolesService>;
