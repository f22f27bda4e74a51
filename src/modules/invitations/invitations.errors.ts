import { AppError, commonErrors } from '../../errors.js';
import type { EffectiveStatus } from './invitation.model.js';

const QUOTA_MESSAGES = {
  organization: 'This organization has sent too many invitations; try again later.',
  recipient: 'Too many invitations were sent to this address; try again later.',
  inviter: 'You have sent too many invitations; try again later.',
};

export const invitationErrors = {
  notFound: () => commonErrors.notFound('invitation'),
  /** by token: the state that makes the link unusable, 410 */
  gone: (status: Exclude<EffectiveStatus, 'pending'>) =>
    new AppError(
      410,
      `invitation_${status}`,
      `This invitation has been ${status}.`.replace('has been expired', 'has expired'),
    ),
  pending: () =>
    new AppError(
      409,
      'invitation_pending',
      'A pending invitation for this email already exists in the organization.',
    ),
  notPending: () => new AppError(409, 'invitation_not_pending', 'The invitation is no longer pending.'),
  alreadyMember: () =>
    new AppError(409, 'already_member', 'This person is already a member of the organization.'),
  emailMismatch: () =>
    new AppError(
      403,
      'email_mismatch',
      'This invitation was sent to a different email address than the one you are signed in with.',
    ),
  invalidExpiry: (maxDays: number) =>
    new AppError(400, 'invalid_expiry', `expiresInDays must be between 1 and ${maxDays}.`),
  quota: (retryAfterSeconds: number, scope: 'organization' | 'recipient' | 'inviter') =>
    commonErrors.rateLimited(retryAfterSeconds, 'invitation_quota_exceeded', QUOTA_MESSAGES[scope]),
};
