import { Type } from 'typebox';
import { DateTime, InvitationStatus, Nullable, Uuid } from '../../http/schemas.js';
import { PERMISSIONS } from '../../modules/organizations/permissions.policy.js';

// Seed 003's shapes: camelCase, ISO-8601 timestamps.

const Name = Type.String({ minLength: 1, maxLength: 200 });
const LogoUrl = Nullable(Type.String({ format: 'uri', maxLength: 2048, pattern: '^https?://' }));

export const OrgParams = Type.Object({ organizationId: Uuid('ID of the organization.') });
export const MemberParams = Type.Object({ organizationId: Uuid(), userId: Uuid('ID of the member user.') });
export const RoleParams = Type.Object({ organizationId: Uuid(), roleId: Uuid('ID of the role.') });
export const InvitationParams = Type.Object({
  organizationId: Uuid(),
  invitationId: Uuid('ID of the invitation.'),
});

export const Organization = Type.Object({
  id: Uuid(),
  name: Type.String(),
  logoUrl: Nullable(Type.String()),
  createdAt: DateTime(),
});
export const OrganizationWithCount = Type.Object({
  ...Organization.properties,
  memberCount: Type.Integer({ minimum: 0 }),
});
export const CreateOrganization = Type.Object(
  { name: Name, logoUrl: Type.Optional(LogoUrl) },
  { additionalProperties: false },
);
export const UpdateOrganization = Type.Object(
  { name: Type.Optional(Name), logoUrl: Type.Optional(LogoUrl) },
  { additionalProperties: false, minProperties: 1 },
);

export const Member = Type.Object({
  userId: Uuid(),
  email: Nullable(Type.String()),
  name: Nullable(Type.String()),
  role: Type.String({ description: 'Role key.' }),
  joinedAt: DateTime(),
});
export const ChangeRole = Type.Object(
  { role: Type.String({ minLength: 1, maxLength: 64 }) },
  { additionalProperties: false },
);

export const Workspace = Type.Object({ id: Uuid(), name: Type.String() });
export const CreateWorkspace = Type.Object({ name: Name }, { additionalProperties: false });

const Permission = Type.Enum([...PERMISSIONS]);
export const Role = Type.Object({
  id: Uuid(),
  key: Type.String(),
  name: Type.String(),
  permissions: Type.Array(Type.String()),
});
export const CreateRole = Type.Object(
  {
    key: Type.String({ minLength: 1, maxLength: 64, pattern: '^[a-z][a-z0-9_-]*$' }),
    name: Name,
    permissions: Type.Array(Permission, { uniqueItems: true, maxItems: PERMISSIONS.length }),
  },
  { additionalProperties: false },
);
export const UpdateRole = Type.Object(
  {
    name: Type.Optional(Name),
    permissions: Type.Optional(Type.Array(Permission, { uniqueItems: true, maxItems: PERMISSIONS.length })),
  },
  { additionalProperties: false, minProperties: 1 },
);

export const Delivery = Type.Object({
  status: Type.Enum(['none', 'queued', 'sent', 'retrying', 'failed', 'cancelled']),
  attempts: Type.Integer({ minimum: 0 }),
  lastAttemptAt: Nullable(DateTime()),
  lastError: Nullable(Type.String()),
});

export const Invitation = Type.Object({
  id: Uuid('Unique invitation ID.'),
  email: Type.String({ description: 'Email of the invited user, in canonical (lowercase) form.' }),
  role: Type.String({ description: 'Role of the member in the organization (key).' }),
  workspaceId: Nullable(Uuid()),
  status: InvitationStatus,
  inviterId: Uuid(),
  createdAt: DateTime('Invitation creation timestamp. ISO-8601.'),
  expireAt: DateTime('Timestamp the invitation expires. ISO-8601.'),
  delivery: Delivery,
});
export const InvitationWithUrl = Type.Object({
  ...Invitation.properties,
  url: Type.String({ description: 'The invitation link; shown only in create and resend responses.' }),
});

const ExpiresInDays = Type.Integer({
  minimum: 1,
  description: 'Lifetime in days, up to INVITATION_MAX_TTL.',
});
export const CreateInvitation = Type.Object(
  {
    email: Type.String({ minLength: 3, maxLength: 320 }),
    role: Type.String({ minLength: 1, maxLength: 64 }),
    workspaceId: Type.Optional(Nullable(Uuid())),
    expiresInDays: Type.Optional(ExpiresInDays),
    sendEmail: Type.Optional(Type.Boolean({ default: true })),
  },
  { additionalProperties: false },
);
export const ResendInvitation = Type.Object(
  { expiresInDays: Type.Optional(ExpiresInDays), sendEmail: Type.Optional(Type.Boolean({ default: true })) },
  { additionalProperties: false },
);
