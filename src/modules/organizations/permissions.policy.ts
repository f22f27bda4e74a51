// Permissions as data: the catalogue, the built-in roles, and the pure rules over them.

export const PERMISSIONS = [
  'invitations:read',
  'invitations:create',
  'invitations:revoke',
  'members:read',
  'members:write',
  'roles:write',
  'organization:write',
  'organization:delete',
] as const;

export type Permission = (typeof PERMISSIONS)[number];

export const BUILTIN_ROLES: readonly { key: string; name: string; permissions: readonly Permission[] }[] = [
  { key: 'owner', name: 'Owner', permissions: PERMISSIONS },
  { key: 'admin', name: 'Admin', permissions: PERMISSIONS.filter((p) => p !== 'organization:delete') },
  { key: 'member', name: 'Member', permissions: ['members:read'] },
];

export const OWNER_ROLE_KEY = 'owner';
export const BUILTIN_KEYS = new Set(BUILTIN_ROLES.map((r) => r.key));

export function isPermission(text: string): text is Permission {
  return (PERMISSIONS as readonly string[]).includes(text);
}

export function parsePermissions(stored: string): Permission[] {
  return stored.split(' ').filter(isPermission);
}

export function formatPermissions(perms: Iterable<Permission>): string {
  const set = new Set(perms);
  return PERMISSIONS.filter((p) => set.has(p)).join(' ');
}

/** Role ceiling: an actor may grant a role only when it holds every permission of that role. */
export function withinCeiling(actor: ReadonlySet<Permission>, role: readonly Permission[]): boolean {
  return role.every((p) => actor.has(p));
}
