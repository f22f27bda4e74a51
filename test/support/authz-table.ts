// The authorization matrix's expectations, written from SPEC §2 (who may do what), §3 (clients), §5
// (status order) and §10 (the audit log and webhooks), not from the code: every actor × every
// operation × own / foreign organization.
// The runner (test/http/authz-matrix.test.ts) builds the fixtures and checks each cell.

/** SPEC §2's permission catalogue, spelled out here so the test does not borrow the code's list. */
export const CATALOGUE = [
  'invitations:read',
  'invitations:create',
  'invitations:revoke',
  'members:read',
  'members:write',
  'roles:write',
  'organization:write',
  'organization:delete',
] as const;
export type Perm = (typeof CATALOGUE)[number];

const OWNER: readonly Perm[] = CATALOGUE;
const ADMIN: readonly Perm[] = CATALOGUE.filter((p) => p !== 'organization:delete');
const MEMBER: readonly Perm[] = ['members:read'];

export interface ActorSpec {
  name: string;
  kind: 'anonymous' | 'user' | 'client';
  sysadmin: boolean;
  /** the role key the actor holds in the own organization, and its permissions; null: no standing there */
  role: { key: string; perms: readonly Perm[] } | null;
  /** the addressee of the invitation each cell targets (a fresh verified user per cell) */
  addressee: boolean;
}

const user = (name: string, role: ActorSpec['role'], extra: Partial<ActorSpec> = {}): ActorSpec => ({
  name,
  kind: 'user',
  sysadmin: false,
  role,
  addressee: false,
  ...extra,
});

export const ACTORS: readonly ActorSpec[] = [
  { name: 'anonymous', kind: 'anonymous', sysadmin: false, role: null, addressee: false },
  user('system admin', null, { sysadmin: true }),
  user('owner', { key: 'owner', perms: OWNER }),
  user('admin', { key: 'admin', perms: ADMIN }),
  user('member', { key: 'member', perms: MEMBER }),
  ...CATALOGUE.map((p) => user(`only ${p}`, { key: `only-${p.replace(':', '-')}`, perms: [p] })),
  user('member of another organization', null),
  user('invitee', null, { addressee: true }),
  {
    name: 'client (role admin)',
    kind: 'client',
    sysadmin: false,
    role: { key: 'admin', perms: ADMIN },
    addressee: false,
  },
  {
    name: 'client (role member)',
    kind: 'client',
    sysadmin: false,
    role: { key: 'member', perms: MEMBER },
    addressee: false,
  },
  { name: 'client --admin', kind: 'client', sysadmin: true, role: null, addressee: false },
];

export type Surface = 'admin' | 'api-v1' | 'invitee' | 'page';

/**
 * What an operation needs (SPEC §2's table and §3–§5):
 * - 'public': nobody is refused;
 * - 'signed-in': any user, never a client;
 * - 'membership' or a permission: in the organization of the path;
 * - 'list-mine' / 'scoped-list': 200 to anyone signed in, the organization visible per `sees`;
 * - 'addressee': a verified user whose email is the invitation's (accept, decline, the invitee API);
 * - 'audit-log': invitation.* events with invitations:read, membership.* with members:read, 403 with
 *   neither (SPEC §10: "a caller sees only the types they may").
 */
export type Need =
  | 'public'
  | 'signed-in'
  | 'membership'
  | Perm
  | 'list-mine'
  | 'scoped-list'
  | 'addressee'
  | 'audit-log';

/** The event families of SPEC §10, by the permission each needs. */
export type Family = 'invitation' | 'membership';
const FAMILY_NEEDS: Record<Family, Perm> = { invitation: 'invitations:read', membership: 'members:read' };

/** own: the actor's organization; foreign: one the actor has no standing in; cross: own path, foreign object (BOLA). */
export type Scope = 'own' | 'foreign' | 'cross';

export interface OpSpec {
  name: string;
  surface: Surface;
  need: Need;
  ok: number;
  /** the object is named by id in an organization's path, so 'cross' applies */
  objectInPath?: boolean;
  /** for 'addressee' operations: what a verified non-addressee gets (by token 403 email_mismatch; by id 404) */
  notAddressee?: number;
  /** audit-log reads: the one family a `?type=` filter asks for (every family the caller may see without) */
  family?: Family;
}

export const OPS: readonly OpSpec[] = [
  { name: 'create organization', surface: 'admin', need: 'signed-in', ok: 201 },
  { name: 'list my organizations', surface: 'admin', need: 'list-mine', ok: 200 },
  { name: 'get organization', surface: 'admin', need: 'membership', ok: 200 },
  { name: 'update organization', surface: 'admin', need: 'organization:write', ok: 200 },
  { name: 'list members', surface: 'admin', need: 'members:read', ok: 200 },
  { name: "change a member's role", surface: 'admin', need: 'members:write', ok: 200, objectInPath: true },
  { name: 'remove a member', surface: 'admin', need: 'members:write', ok: 204, objectInPath: true },
  { name: 'create workspace', surface: 'admin', need: 'organization:write', ok: 201 },
  { name: 'list workspaces', surface: 'admin', need: 'membership', ok: 200 },
  { name: 'create role', surface: 'admin', need: 'roles:write', ok: 201 },
  { name: 'list roles', surface: 'admin', need: 'membership', ok: 200 },
  { name: 'update role', surface: 'admin', need: 'roles:write', ok: 200, objectInPath: true },
  { name: 'create invitation', surface: 'admin', need: 'invitations:create', ok: 201 },
  { name: 'list invitations', surface: 'admin', need: 'invitations:read', ok: 200 },
  { name: 'get invitation', surface: 'admin', need: 'invitations:read', ok: 200, objectInPath: true },
  { name: 'revoke invitation', surface: 'admin', need: 'invitations:revoke', ok: 204, objectInPath: true },
  { name: 'resend invitation', surface: 'admin', need: 'invitations:create', ok: 200, objectInPath: true },
  { name: 'list invitations (scoped)', surface: 'api-v1', need: 'scoped-list', ok: 200 },
  { name: 'preview by token', surface: 'api-v1', need: 'public', ok: 200 },
  { name: 'revoke by id', surface: 'api-v1', need: 'invitations:revoke', ok: 200 },
  { name: 'accept by token', surface: 'api-v1', need: 'addressee', ok: 200, notAddressee: 403 },
  { name: 'decline by token', surface: 'api-v1', need: 'addressee', ok: 200, notAddressee: 403 },
  { name: 'list my pending invitations', surface: 'invitee', need: 'addressee', ok: 200, notAddressee: 200 },
  { name: 'get my invitation', surface: 'invitee', need: 'addressee', ok: 200, notAddressee: 404 },
  { name: 'accept by id', surface: 'invitee', need: 'addressee', ok: 200, notAddressee: 404 },
  { name: 'decline by id', surface: 'invitee', need: 'addressee', ok: 200, notAddressee: 404 },
  { name: 'page: accept', surface: 'page', need: 'addressee', ok: 200, notAddressee: 403 },
  { name: 'page: decline', surface: 'page', need: 'addressee', ok: 200, notAddressee: 403 },
  { name: 'list events', surface: 'admin', need: 'audit-log', ok: 200 },
  {
    name: 'list events ?type=invitation.*',
    surface: 'admin',
    need: 'invitations:read',
    ok: 200,
    family: 'invitation',
  },
  {
    name: 'list events ?type=membership.*',
    surface: 'admin',
    need: 'members:read',
    ok: 200,
    family: 'membership',
  },
  { name: 'create webhook', surface: 'admin', need: 'organization:write', ok: 201 },
  { name: 'list webhooks', surface: 'admin', need: 'organization:write', ok: 200 },
  { name: 'get webhook', surface: 'admin', need: 'organization:write', ok: 200, objectInPath: true },
  { name: 'update webhook', surface: 'admin', need: 'organization:write', ok: 200, objectInPath: true },
  { name: 'delete webhook', surface: 'admin', need: 'organization:write', ok: 204, objectInPath: true },
  {
    name: 'rotate webhook secret',
    surface: 'admin',
    need: 'organization:write',
    ok: 200,
    objectInPath: true,
  },
  {
    name: 'list webhook deliveries',
    surface: 'admin',
    need: 'organization:write',
    ok: 200,
    objectInPath: true,
  },
  { name: 'replay a delivery', surface: 'admin', need: 'organization:write', ok: 202, objectInPath: true },
];

export interface Expected {
  status: number;
  /** list operations: whether the scope's organization (or invitation) is among the results */
  sees?: boolean;
  /** audit-log reads: exactly the event families listed (the organization has events of both) */
  families?: readonly Family[];
}

/** Whether the cell exists: pages have no clients (a client has no browser session). */
export function applies(op: OpSpec, actor: ActorSpec, scope: Scope): boolean {
  if (scope === 'cross' && !op.objectInPath) return false;
  return !(op.surface === 'page' && actor.kind === 'client');
}

/** What the actor holds in the organization of the path; undefined: no standing there. */
function held(actor: ActorSpec, scope: 'own' | 'foreign'): readonly Perm[] | undefined {
  if (actor.sysadmin) return CATALOGUE;
  return scope === 'own' ? actor.role?.perms : undefined;
}

function inOrg(op: OpSpec, actor: ActorSpec, scope: 'own' | 'foreign'): number {
  const perms = held(actor, scope);
  if (!perms) return 404; // existence is not revealed (SPEC §5)
  if (op.need === 'membership') return op.ok;
  return perms.includes(op.need as Perm) ? op.ok : 403;
}

/** The audit log: each family the caller may see, and only those; a member holding neither: 403. */
function auditLog(op: OpSpec, actor: ActorSpec, scope: 'own' | 'foreign'): Expected {
  const perms = held(actor, scope);
  if (!perms) return { status: 404 };
  const families = (['invitation', 'membership'] as const).filter((f) => perms.includes(FAMILY_NEEDS[f]));
  return families.length > 0 ? { status: op.ok, families } : { status: 403 };
}

export function expected(op: OpSpec, actor: ActorSpec, scope: Scope): Expected {
  if (op.need === 'public') return { status: op.ok };
  if (actor.kind === 'anonymous') return { status: 401 };
  const own = scope !== 'foreign';
  switch (op.need) {
    case 'signed-in':
      // the creator becomes the organization's owner, and a client is never a member (even --admin):
      // 403 client_not_allowed
      return { status: actor.kind === 'client' ? 403 : op.ok };
    case 'list-mine':
      // a client holds its organization through its role: membership-level access lists it
      return { status: op.ok, sees: actor.sysadmin || (own && actor.role !== null) };
    case 'scoped-list':
      return {
        status: op.ok,
        sees: actor.sysadmin || (own && (actor.role?.perms.includes('invitations:read') ?? false)),
      };
    case 'addressee': {
      // a client has no email, so it cannot be the addressee: 403 email_unverified (SPEC §3)
      if (actor.kind === 'client') return { status: 403 };
      const status = actor.addressee ? op.ok : (op.notAddressee ?? 403);
      return op.name === 'list my pending invitations' ? { status, sees: actor.addressee } : { status };
    }
    case 'audit-log':
      return auditLog(op, actor, own ? 'own' : 'foreign');
    default: {
      if (scope !== 'cross') {
        const status = inOrg(op, actor, scope);
        return op.family && status === op.ok ? { status, families: [op.family] } : { status };
      }
      // the own organization's path with the other organization's object: the object is not there
      const status = inOrg(op, actor, 'own');
      return { status: status === op.ok ? 404 : status };
    }
  }
}
