import type { Db } from '../db/create-db.js';
import { findMailFacts } from '../modules/invitations/delivery.repository.js';
import { invitationUrl } from '../modules/invitations/invitation-link.js';
import { type ClaimedRow, type Settlement, SIGN_IN_CODE_EMAIL } from '../modules/outbox/outbox.repository.js';
import { openOutboxToken } from '../modules/outbox/sealed-token.js';
import type { Clock } from '../platform/clock.js';
import type { Sealer } from '../platform/crypto.js';
import { type RenderedMail, renderInvitationEmail } from './render.js';
import { renderSignInCodeEmail, SIGN_IN_CODE_TTL_MS } from './render-sign-in-code.js';

// What a claimed outbox row becomes: the message to send, or the settlement when it can never go
// out. Two kinds share the dispatcher's lease, retry and backoff: invitation links and the built-in
// provider's sign-in codes (no invitation). The secret of either is sealed in the row until sent.

export async function messageFor(
  row: ClaimedRow,
  deps: { db: Db; clock: Clock; sealer: Sealer; publicUrl: string },
): Promise<RenderedMail | Settlement> {
  // sealed under another ADMIT_SECRET, tampered with, or already wiped: it can never be sent
  const secret = row.sealed_token ? openOutboxToken(deps.sealer, row.id, row.sealed_token) : undefined;
  if (row.kind === SIGN_IN_CODE_EMAIL || row.invitation_id === null) {
    // a code that would arrive dead is not sent
    if (row.created_at + SIGN_IN_CODE_TTL_MS <= deps.clock.now())
      return { status: 'failed', error: 'code_expired' };
    if (!secret) return { status: 'failed', error: 'unsealable_token' };
    return renderSignInCodeEmail({ code: secret, publicUrl: deps.publicUrl });
  }
  const facts = await findMailFacts(deps.db.kysely, row.invitation_id);
  // the link is dead: nothing worth sending (normally cancelled in the same transaction already)
  if (facts?.status !== 'pending') return { status: 'cancelled' };
  if (facts.expire_at <= deps.clock.now()) return { status: 'failed', error: 'invitation_expired' };
  if (!secret) return { status: 'failed', error: 'unsealable_token' };
  return renderInvitationEmail({
    organizationName: facts.organization_name,
    workspaceName: facts.workspace_name,
    roleName: facts.role_name,
    inviterName: facts.inviter_name,
    inviterEmail: facts.inviter_email,
    expireAt: facts.expire_at,
    url: invitationUrl(deps.publicUrl, secret),
  });
}
