import { commonErrors } from '../../errors.js';
import type { Principal } from '../users/principal.js';
import type { EffectiveStatus } from './invitation.model.js';
import type { findTokenView } from './invitation-views.repository.js';
import { invitationErrors } from './invitations.errors.js';

// What the respond service answers: the token holder's view, the invitee's list, an accepted membership.

/** What anyone holding the token is shown (seed 002). */
export interface TokenView {
  id: string;
  email: string;
  organization: { id: string; name: string; logoUrl: string | null };
  workspace: { id: string; name: string } | null;
  role: { id: string; key: string; name: string };
  expireAt: number;
}

/** The invitation page shows the inviter (with avatar) and how many members the organization has. */
export interface WebView extends TokenView {
  inviter: { name: string | null; email: string | null; avatarUrl: string | null };
  memberCount: number;
}

type ShownRow = NonNullable<Awaited<ReturnType<typeof findTokenView>>>;

export function tokenView(row: ShownRow): TokenView {
  return {
    id: row.id,
    email: row.email,
    organization: {
      id: row.organization_id,
      name: row.organization_name,
      logoUrl: row.organization_logo_url,
    },
    workspace: row.workspace_id ? { id: row.workspace_id, name: row.workspace_name ?? '' } : null,
    role: { id: row.role_id, key: row.role_key, name: row.role_name },
    expireAt: row.expire_at,
  };
}

export interface AcceptedMembership {
  organizationId: string;
  workspaceId: string | null;
  userId: string;
  role: string;
}

export interface InviteeInvitation {
  id: string;
  organizationName: string;
  organizationLogoUrl: string | null;
  organizationMemberCount: number;
  invitingUserName: string | null;
  invitingUserAvatarUrl: string | null;
  expirationDate: number;
}

// The rules a response by link or by id checks, in this order: the invitation still usable (410),
// the caller's email verified by their provider (403), then the caller being its invitee (403).

export function requireUsable(status: EffectiveStatus): void {
  if (status !== 'pending') throw invitationErrors.gone(status);
}

/** The provider must have verified the caller's email; a verified but non-canonical one matches nothing. */
export function requireVerified(principal: Principal): void {
  if (!principal.emailVerified) throw commonErrors.emailUnverified();
}

export function requireInvitee(principal: Principal, email: string): void {
  requireVerified(principal);
  if (principal.email !== email) throw invitationErrors.emailMismatch();
}
