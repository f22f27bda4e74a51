import type { Db } from '../../db/create-db.js';
import type { Reader } from '../../db/precompiled.js';
import { commitWith, type Executor, inTransaction } from '../../db/tx.js';
import type { Clock } from '../../platform/clock.js';
import { looksLikeInvitationToken, sha256Hex } from '../../platform/crypto.js';
import type { Ids } from '../../platform/ids.js';
import { actorOf, memberShape } from '../events/event.model.js';
import { recordEvent } from '../events/record.js';
import { clientStanding } from '../organizations/access.js';
import {
  findMembershipWithRole,
  insertMembership,
  insertWorkspaceMembership,
  organizationsWhereInvitationsRead,
} from '../organizations/organizations.repository.js';
import { cancelUndelivered } from '../outbox/outbox.repository.js';
import type { Principal } from '../users/principal.js';
import { effectiveStatus, type Invitation, type PageOptions, toInvitation } from './invitation.model.js';
import { invitationEvent } from './invitation-events.js';
import { type JsonPage, listedPage } from './invitation-lists.repository.js';
import {
  findTokenTarget,
  findTokenView,
  findTokenWebView,
  listForInvitee,
} from './invitation-views.repository.js';
import { invitationErrors } from './invitations.errors.js';
import {
  findInvitationById,
  storedState,
  type TransitionedRow,
  transition,
} from './invitations.repository.js';
import {
  type AcceptedMembership,
  type InviteeInvitation,
  requireInvitee,
  requireUsable,
  requireVerified,
  type TokenView,
  tokenView,
  type WebView,
} from './respond.model.js';

export type { AcceptedMembership, InviteeInvitation, TokenView, WebView } from './respond.model.js';

/** Resolves the caller lazily, so token state (404/410) is decided before authentication (401). */
export type PrincipalThunk = () => Promise<Principal>;

type Target = {
  id: string;
  organization_id: string;
  workspace_id: string | null;
  email: string;
  role_id: string;
  role_key: string;
  role_name: string;
};

export function createRespondService(deps: { db: Db; clock: Clock; ids: Ids }) {
  const { db, clock, ids } = deps;

  /**
   * Token lookup, reading what `find` reads: anything that matches nothing (malformed or unknown) is
   * the same 404; a token whose invitation is no longer pending is 410.
   */
  async function byToken<R extends Parameters<typeof effectiveStatus>[0]>(
    token: string,
    find: (db: Reader, tokenHash: string) => Promise<R | undefined>,
  ): Promise<R> {
    if (!looksLikeInvitationToken(token)) throw invitationErrors.notFound();
    const row = await find(db.reads, sha256Hex(token));
    if (!row) throw invitationErrors.notFound();
    requireUsable(effectiveStatus(row, clock.now()));
    return row;
  }

  async function inviteeView(principal: Principal, id?: string): Promise<InviteeInvitation[]> {
    requireVerified(principal);
    if (!principal.email) return [];
    const rows = await listForInvitee(db.reads, principal.email, clock.now(), id);
    return rows.map((r) => ({
      id: r.id,
      organizationName: r.organization_name,
      organizationLogoUrl: r.organization_logo_url,
      organizationMemberCount: Number(r.organization_member_count ?? 0),
      invitingUserName: r.inviting_user_name,
      invitingUserAvatarUrl: r.inviting_user_avatar_url,
      expirationDate: r.expire_at,
    }));
  }

  /** After a lost conditional update: the state that beat us, as 410; a link rotated away matches nothing (404). */
  async function lostRace(trx: Executor, id: string, now: number, tokenHash?: string): Promise<never> {
    const state = await storedState(trx, id);
    if (!state) throw invitationErrors.notFound();
    const status = effectiveStatus(state, now);
    if (status === 'pending' && tokenHash !== undefined && state.token_hash !== tokenHash)
      throw invitationErrors.notFound();
    throw invitationErrors.gone(status === 'pending' ? 'expired' : status);
  }

  /**
   * One transaction. Conditional update: only one accept can win (pending and unexpired by the service
   * clock); then the membership (kept as it is if the invitee joined by another path meanwhile) and the
   * workspace membership are created, and undelivered mail for the used token is dropped.
   */
  async function acceptTarget(
    principal: Principal,
    target: Target,
    tokenHash?: string,
  ): Promise<AcceptedMembership> {
    const now = clock.now();
    const joined = await inTransaction(db, async (trx) => {
      const won = await transition(trx, target.id, 'accepted', principal.userId, now, {
        requireUnexpired: true,
        ...(tokenHash !== undefined ? { tokenHash } : {}),
      });
      if (!won) return lostRace(trx, target.id, now, tokenHash);
      // independent writes, handed over together and run in this order, the last of the transaction
      // (one write to PostgreSQL, its COMMIT with them); membership.created is recorded only if
      // this accept's membership INSERT inserted the row
      const membershipId = ids.uuid();
      const [, inserted] = await commitWith(trx, [
        announce(trx, 'invitation.accepted', principal, target, won, now),
        insertMembership(trx, {
          id: membershipId,
          organization_id: target.organization_id,
          user_id: principal.userId,
          role_id: target.role_id,
          source_invitation_id: target.id,
          created_at: now,
        }),
        target.workspace_id
          ? insertWorkspaceMembership(trx, {
              id: ids.uuid(),
              workspace_id: target.workspace_id,
              organization_id: target.organization_id,
              user_id: principal.userId,
              source_invitation_id: target.id,
              created_at: now,
            })
          : undefined,
        cancelUndelivered(trx, target.id),
        recordEvent(
          trx,
          ids,
          now,
          {
            type: 'membership.created',
            organizationId: target.organization_id,
            actor: actorOf(principal),
            data: {
              membership: memberShape({
                userId: principal.userId,
                email: principal.email,
                name: principal.name,
                role: target.role_key,
                joinedAt: now,
              }),
            },
          },
          membershipId,
        ),
      ]);
      return inserted;
    });
    // a member by another path keeps the role they have: then it is read (committed, so from any
    // connection), else it is the invitation's
    let role = target.role_key;
    if (!joined) {
      const membership = await findMembershipWithRole(db.reads, target.organization_id, principal.userId);
      if (!membership) throw new Error('membership missing after accept');
      role = membership.role_key;
    }
    return {
      organizationId: target.organization_id,
      workspaceId: target.workspace_id,
      userId: principal.userId,
      role,
    };
  }

  async function declineTarget(principal: Principal, target: Target, tokenHash?: string): Promise<void> {
    const now = clock.now();
    await inTransaction(db, async (trx) => {
      // conditional update: a decline and an accept cannot both win; by link, only with the current token
      const won = await transition(trx, target.id, 'declined', principal.userId, now, {
        requireUnexpired: true,
        ...(tokenHash !== undefined ? { tokenHash } : {}),
      });
      if (!won) return lostRace(trx, target.id, now, tokenHash);
      // the last statements, with the COMMIT (one write to PostgreSQL)
      await commitWith(trx, [
        cancelUndelivered(trx, target.id),
        announce(trx, 'invitation.declined', principal, target, won, now),
      ]);
    });
  }

  /** The invitation's event, from the row the conditional update returned and the target's role. */
  function announce(
    trx: Executor,
    type: 'invitation.accepted' | 'invitation.declined',
    principal: Principal,
    target: Target,
    row: TransitionedRow,
    now: number,
  ) {
    const invitation = toInvitation({ ...row, role_key: target.role_key, role_name: target.role_name }, now);
    return invitationEvent(trx, ids, type, principal, invitation, now);
  }

  async function loadInvitation(id: string): Promise<Invitation> {
    const row = await findInvitationById(db.reads, id);
    if (!row) throw invitationErrors.notFound();
    return toInvitation(row, clock.now());
  }

  return {
    /** Public, read-only: never changes state (mail scanners prefetch links). */
    async preview(token: string): Promise<TokenView> {
      return tokenView(await byToken(token, findTokenView));
    },

    /** The preview with the inviter, for the invitation page; read-only like preview. */
    async webView(token: string): Promise<WebView> {
      const row = await byToken(token, findTokenWebView);
      return {
        ...tokenView(row),
        inviter: { name: row.inviter_name, email: row.inviter_email, avatarUrl: row.inviter_picture },
        memberCount: Number(row.organization_member_count ?? 0),
      };
    },

    /** Order: token state (404/410) → signed in (401) → verified, matching email (403) → conditional update. */
    async acceptByToken(token: string, who: PrincipalThunk): Promise<AcceptedMembership> {
      const row = await byToken(token, findTokenTarget);
      const principal = await who();
      requireInvitee(principal, row.email);
      return acceptTarget(principal, row, sha256Hex(token));
    },

    /** Same order as accept; wrong account or unverified email leave the invitation pending. */
    async declineByToken(token: string, who: PrincipalThunk): Promise<Invitation> {
      const row = await byToken(token, findTokenTarget);
      const principal = await who();
      requireInvitee(principal, row.email);
      await declineTarget(principal, row, sha256Hex(token));
      return loadInvitation(row.id);
    },

    /** The invitee's own pending, unexpired invitations (needs a verified email). */
    listMine: (principal: Principal): Promise<InviteeInvitation[]> => inviteeView(principal),

    /** One of the invitee's pending, unexpired invitations; anything else is 404. */
    async getMine(principal: Principal, id: string): Promise<InviteeInvitation> {
      const [found] = await inviteeView(principal, id);
      if (!found) throw invitationErrors.notFound();
      return found;
    },

    /**
     * Accept or decline by id (seed 001): not the caller's → 404; no longer pending → 410. Returns the
     * organization id when accepted, null when declined.
     */
    async respondById(principal: Principal, id: string, accept: boolean): Promise<string | null> {
      requireVerified(principal);
      const row = await findInvitationById(db.reads, id);
      if (!row || !principal.email || row.email !== principal.email) throw invitationErrors.notFound();
      requireUsable(effectiveStatus(row, clock.now()));
      if (accept) return (await acceptTarget(principal, row)).organizationId;
      await declineTarget(principal, row);
      return null;
    },

    /**
     * Across organizations: system admin sees all; a client its organization when its role holds
     * invitations:read; anyone else the organizations where they hold invitations:read.
     */
    async listScoped(principal: Principal, opts: PageOptions): Promise<JsonPage> {
      const now = clock.now();
      const page = (scope: { all: true } | { organizationIds: string[] }) =>
        listedPage(db.reads, { view: 'listed', scope, ...opts, now });
      if (principal.isSystemAdmin) return page({ all: true });
      if (principal.client) {
        // a client is no member: its one organization, when its role may read invitations there
        const standing = await clientStanding(db.reads, principal);
        if (!standing?.permissions.has('invitations:read'))
          return { marked: '', next: null, pendingUntil: null };
        return page({ organizationIds: [standing.organizationId] });
      }
      const orgs = await organizationsWhereInvitationsRead(db.reads, principal.userId);
      return page({ organizationIds: orgs.map((o) => o.organization_id) });
    },
  };
}

export type RespondService = ReturnType<typeof createRespondService>;
