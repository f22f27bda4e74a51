import { AppError, commonErrors } from '../../errors.js';

export const organizationErrors = {
  notFound: () => commonErrors.notFound('organization'),
  memberNotFound: () => commonErrors.notFound('member'),
  roleNotFound: () => commonErrors.notFound('role'),
  unknownRole: (key: string) =>
    new AppError(400, 'unknown_role', `No role with key ${JSON.stringify(key)} in this organization.`),
  unknownWorkspace: () => new AppError(400, 'unknown_workspace', 'No such workspace in this organization.'),
  unknownPermission: (p: string) =>
    new AppError(400, 'unknown_permission', `${JSON.stringify(p)} is not a permission.`),
  roleExists: (key: string) =>
    new AppError(409, 'role_exists', `A role with key ${JSON.stringify(key)} already exists.`),
  builtinRole: () => new AppError(409, 'role_builtin', 'Built-in roles cannot be changed.'),
  roleCeiling: () =>
    new AppError(
      403,
      'role_ceiling',
      'You cannot grant or manage a role holding permissions you do not have.',
    ),
  clientCannotOwn: () =>
    new AppError(
      403,
      'client_not_allowed',
      'An OAuth2 client cannot create organizations: it cannot be a member.',
    ),
  quota: (retryAfterSeconds: number) =>
    commonErrors.rateLimited(
      retryAfterSeconds,
      'organization_quota_exceeded',
      'You have created too many organizations; try again later.',
    ),
  lastOwner: () =>
    new AppError(409, 'last_owner', 'The last owner of an organization cannot be removed or demoted.'),
};
