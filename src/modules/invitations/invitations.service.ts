import type { Limit } from '../../config.js';
import type { Db } from '../../db/create-db.js';
import { commitWith, type Executor, inTransaction } from '../../db/tx.js';
import { AppError, commonErrors } from '../../errors.js';
import type { Clock } from '../../platform/clock.js';
import type { Counters } from '../../platform/counters.js';
import { type Sealer, sha256Hex } from '../../platform/crypto.js';
import { canonicalEmail } from '../../platform/email.js';
import type { Ids } from '../../platform/ids.js';
import type { CommitOutcome } from '../idempotency/idempotency.service.js';
import { requirePermission } from '../organizations/access.js';
import { organizationErrors } from '../organizations/organizations.errors.js';
import { findRoleByKey, findWorkspace } from '../organizations/organizations.repository.js';
import { parsePermissions, withinCeiling } from '../organizations/permissions.policy.js';
import { cancelUndelivered, enqueueInvitationEmail } from '../outbox/outbox.repository.js';
import { sealOutboxToken } from '../outbox/sealed-token.js';
import { withQuotas } from '../quotas/reserve.js';
import type { Principal } from '../users/principal.js';
import { type Invitation, newPendingInvitation, toInvitation } from './invitation.model.js';
import { expirePredecessor, invitationEvent, isPendingConflict } from './invitation-events.js';
import { invitationUrl } from './invitation-link.js';
import { createQuotas, sendQuotas } from './invitation-quotas.js';
import { invitationErrors } from './invitations.errors.js';
import {
  findCreateConflicts,
  findInvitation,
  findInvitationById,
  insertInvitation,
  rotateToken,
  transition,
} from './invitations.repository.js';
import { createKeptListPages, type KeptListPages } from './kept-list-pages.js';

const DAY_MS = 86_400_000;

export interface InvitationsDeps {
  db: Db;
  clock: Clock;
  ids: Ids;
  sealer: Sealer;
  counters: Counters;
  publicUrl: string;
  ttlMs: number;
  maxTtlMs: number;
  quotaOrg: Limit;
  /** per (organization, recipient) */
  quotaRecipient: Limit;
  /** per recipient across organizations */
  quotaRecipientAll: Limit;
  quotaInviter: Limit;
}

export type WithUrl = Invitation & { url: string };

export function createInvitationsService(deps: InvitationsDeps) {
  const { db, clock, ids, sealer } = deps;
  const maxDays = Math.floor(deps.maxTtlMs / DAY_MS);
  const host = new URL(deps.publicUrl).hostname || 'admit.localhost';

  function lifetime(expiresInDays: number | undefined): number {
    if (expiresInDays === undefined) return deps.ttlMs;
    if (!Number.isInteger(expiresInDays) || expiresInDays < 1 || expiresInDays > maxDays) {
      throw invitationErrors.invalidExpiry(maxDays);
    }
    return expiresInDays * DAY_MS;
  }

  /** Writes the mail intent for a fresh token in the caller's transaction. */
  async function enqueue(trx: Executor, invitationId: string, recipient: string, token: string, now: number) {
    const id = ids.uuid();
    await enqueueInvitationEmail(trx, {
      id,
      invitationId,
      recipient,
      sealedToken: sealOutboxToken(sealer, id, token),
      messageId: `<${id}@${host}>`,
      now,
    });
  }

  async function load(organizationId: string, id: string, now: number): Promise<Invitation> {
    const row = await findInvitation(db.reads, organizationId, id);
    if (!row) throw invitationErrors.notFound();
    return toInvitation(row, now);
  }

  /** After a failed conditional update: 404 when it is not in this organization, else 409. */
  async function notPendingOrMissing(organizationId: string, id: string): Promise<never> {
    const row = await findInvitation(db.reads, organizationId, id);
    throw row ? invitationErrors.notPending() : invitationErrors.notFound();
  }

  return {
    /**
     * Needs invitations:create and the role ceiling. Canonicalizes the email, enforces quotas, stores a
     * time-expired predecessor as expired, refuses a second pending invitation (partial unique index is
     * the backstop) and an existing member, and writes the outbox row in the same transaction.
     */
    async create(
      principal: Principal,
      organizationId: string,
      input: {
        email: string;
        role: string;
        workspaceId?: string | null;
        expiresInDays?: number;
        sendEmail?: boolean;
      },
      commit?: CommitOutcome<WithUrl>,
    ): Promise<WithUrl> {
      // the caller's access and the role asked for, read together (one batch of db.reads)
      const [access, role] = await Promise.all([
        requirePermission(db.reads, principal, organizationId, 'invitations:create'),
        findRoleByKey(db.reads, organizationId, input.role),
      ]);
      const canonical = canonicalEmail(input.email);
      if (!canonical.ok) throw commonErrors.invalidEmail(canonical.reason);
      const email = canonical.email;
      if (!role) throw organizationErrors.unknownRole(input.role);
      if (!withinCeiling(access.permissions, parsePermissions(role.permissions)))
        throw organizationErrors.roleCeiling();
      if (input.workspaceId && !(await findWorkspace(db.kysely, organizationId, input.workspaceId))) {
        throw organizationErrors.unknownWorkspace();
      }
      const ttl = lifetime(input.expiresInDays);
      const quotas = createQuotas(deps, principal, organizationId, email);

      const token = ids.token();
      const now = clock.now();
      const sendEmail = input.sendEmail !== false;
      const id = ids.uuid();
      const row = newPendingInvitation({
        id,
        organization_id: organizationId,
        workspace_id: input.workspaceId ?? null,
        email,
        role_id: role.id,
        inviter_id: principal.userId,
        token_hash: sha256Hex(token),
        created_at: now,
        expire_at: now + ttl,
        delivery_status: sendEmail ? 'queued' : 'none',
      });
      // exactly what is committed: no need to read it back
      const created: WithUrl = {
        ...toInvitation({ ...row, role_key: role.key, role_name: role.name }, now),
        url: this.url(token),
      };
      try {
        await withQuotas(deps.counters, quotas, () =>
          inTransaction(db, async (trx) => {
            const conflicts = await findCreateConflicts(trx, organizationId, email);
            const pendingId = conflicts?.pending_id;
            if (pendingId) {
              if (Number(conflicts.pending_expire_at) > now) throw invitationErrors.pending();
              // time-expired: stored as expired, which frees the one-pending slot
              await expirePredecessor(trx, ids, organizationId, pendingId, now);
            }
            if (conflicts?.member_id) throw invitationErrors.alreadyMember();
            // independent writes, handed over together and run in this order, the last of the
            // transaction (one write to PostgreSQL, its COMMIT with them): the outbox row's foreign
            // key needs the invitation before it. An idempotent request's stored answer commits
            // with the invitation and its mail.
            await commitWith(trx, [
              insertInvitation(trx, row),
              invitationEvent(trx, ids, 'invitation.created', principal, created, now),
              sendEmail ? enqueue(trx, id, email, token, now) : undefined,
              commit?.(trx, 201, created),
            ]);
          }),
        );
      } catch (err) {
        if (isPendingConflict(err)) throw invitationErrors.pending();
        throw err;
      }
      return created;
    },

    /**
     * The organization's invitation list, one answer per query, kept while the list is unchanged:
     * see kept-list-pages.ts. Each call makes its own store; a route makes one when registered.
     */
    listPages<A>(): KeptListPages<A> {
      return createKeptListPages<A>({ db, clock });
    },

    /** Needs invitations:read; another organization's id is 404. */
    async get(principal: Principal, organizationId: string, id: string): Promise<Invitation> {
      await requirePermission(db.reads, principal, organizationId, 'invitations:read');
      return load(organizationId, id, clock.now());
    },

    /**
     * Needs invitations:revoke. Pending or expired (by time or stored by the sweep alike) → revoked;
     * terminal → 409.
     */
    async revoke(principal: Principal, organizationId: string, id: string): Promise<Invitation> {
      await requirePermission(db.reads, principal, organizationId, 'invitations:revoke');
      const now = clock.now();
      const revoked = await inTransaction(db, async (trx) => {
        // scoped by organization: another organization's id is never touched (BOLA)
        const before = await findInvitation(trx, organizationId, id);
        if (!before) return undefined;
        // conditional update: only a stored-pending (or stored-expired) row can be revoked, once
        const after = await transition(trx, id, 'revoked', principal.userId, now, {
          requireUnexpired: false,
        });
        if (!after) return undefined;
        const invitation = toInvitation(
          { ...after, role_key: before.role_key, role_name: before.role_name },
          now,
        );
        // the last statements, with the COMMIT (one write to PostgreSQL)
        await commitWith(trx, [
          cancelUndelivered(trx, id),
          invitationEvent(trx, ids, 'invitation.revoked', principal, invitation, now),
        ]);
        return invitation;
      });
      return revoked ?? notPendingOrMissing(organizationId, id);
    },

    /** Revoke by id alone (seed 000): the invitation's own organization decides; outside the caller's reach 404. */
    async revokeById(principal: Principal, id: string): Promise<Invitation> {
      const row = await findInvitationById(db.reads, id);
      if (!row) throw invitationErrors.notFound();
      try {
        return await this.revoke(principal, row.organization_id, id);
      } catch (err) {
        // another organization's invitation answers exactly like an unknown id (SPEC §5): the
        // organization's 404 would say that this id exists somewhere
        if (err instanceof AppError && err.status === 404) throw invitationErrors.notFound();
        throw err;
      }
    },

    /**
     * Needs invitations:create and the ceiling over the invitation's role. Rotates the token (the old
     * link dies), resets the expiry, drops undelivered mail for the old token and queues a new one.
     */
    async resend(
      principal: Principal,
      organizationId: string,
      id: string,
      input: { expiresInDays?: number; sendEmail?: boolean },
      commit?: CommitOutcome<WithUrl>,
    ): Promise<WithUrl> {
      const access = await requirePermission(db.reads, principal, organizationId, 'invitations:create');
      const current = await load(organizationId, id, clock.now());
      const role = await findRoleByKey(db.reads, organizationId, current.role);
      if (role && !withinCeiling(access.permissions, parsePermissions(role.permissions))) {
        throw organizationErrors.roleCeiling();
      }
      if (current.status !== 'pending' && current.status !== 'expired') throw invitationErrors.notPending();
      const ttl = lifetime(input.expiresInDays);
      const token = ids.token();
      const now = clock.now();
      const sendEmail = input.sendEmail !== false;
      // a resend that finds the invitation no longer pending commits nothing: its units go back
      const rotate = () =>
        inTransaction(db, async (trx) => {
          const rotated = await rotateToken(trx, id, {
            token_hash: sha256Hex(token),
            expire_at: now + ttl,
            now,
            delivery_status: sendEmail ? 'queued' : 'none',
          });
          if (!rotated) return undefined;
          await cancelUndelivered(trx, id);
          if (sendEmail) await enqueue(trx, id, current.email, token, now);
          const row = await findInvitation(trx, organizationId, id);
          if (!row) throw new Error('invitation vanished while resending');
          const resent: WithUrl = { ...toInvitation(row, now), url: this.url(token) };
          await invitationEvent(trx, ids, 'invitation.resent', principal, resent, now);
          await commit?.(trx, 200, resent);
          return resent;
        });
      const resent = await withQuotas(
        deps.counters,
        sendQuotas(deps, principal, organizationId, current.email),
        async () => {
          try {
            return (await rotate()) ?? (await notPendingOrMissing(organizationId, id));
          } catch (err) {
            // a stored-expired invitation made pending again while another is pending for the address
            if (isPendingConflict(err)) throw invitationErrors.pending();
            throw err;
          }
        },
      );
      return resent;
    },

    url(token: string): string {
      return invitationUrl(deps.publicUrl, token);
    },
  };
}

export type InvitationsService = ReturnType<typeof createInvitationsService>;
