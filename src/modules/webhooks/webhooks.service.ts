import type { Db } from '../../db/create-db.js';
import type { WebhooksTable } from '../../db/schema.js';
import { inTransaction } from '../../db/tx.js';
import type { Clock } from '../../platform/clock.js';
import type { Sealer } from '../../platform/crypto.js';
import type { Ids } from '../../platform/ids.js';
import { newWebhookSecret } from '../../platform/webhook-signature.js';
import type { EventType } from '../events/event.model.js';
import { type Cursor, decodeCursor } from '../invitations/invitation.model.js';
import { requirePermission } from '../organizations/access.js';
import { enqueueWebhookDelivery } from '../outbox/webhook-deliveries.repository.js';
import type { Principal } from '../users/principal.js';
import { sealContext } from './sealing.js';
import { checkWebhookUrl } from './ssrf.policy.js';
import { webhookErrors } from './webhooks.errors.js';
import {
  type DeliveryRow,
  deleteWebhook,
  findDelivery,
  findWebhook,
  insertWebhook,
  listDeliveries,
  listWebhooks,
  updateWebhook,
} from './webhooks.repository.js';

// Webhook endpoints per organization (SPEC §10), all behind organization:write. The secret is shown
// in the create and rotate answers only and kept sealed (context `webhook:<id>`); after a rotation
// the previous secret also signs for ROTATION_OVERLAP_MS. Delivery is the dispatcher's (src/outbox/).

export type { DeliveryRow } from './webhooks.repository.js';

export const ROTATION_OVERLAP_MS = 24 * 3_600_000;

export interface Webhook {
  id: string;
  url: string;
  description: string | null;
  /** null: every type, present and future */
  events: EventType[] | null;
  enabled: boolean;
  disabledReason: string | null;
  createdAt: number;
  updatedAt: number;
}

export type WebhookWithSecret = Webhook & { secret: string };

export interface DeliveryPage {
  items: DeliveryRow[];
  next: Cursor | null;
  limit: number;
}

const toWebhook = (r: WebhooksTable): Webhook => ({
  id: r.id,
  url: r.url,
  description: r.description,
  events: r.events === null ? null : (JSON.parse(r.events) as EventType[]),
  enabled: r.enabled === 1,
  disabledReason: r.disabled_reason,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
});

export function createWebhooksService(deps: {
  db: Db;
  clock: Clock;
  ids: Ids;
  sealer: Sealer;
  allowedHosts: readonly string[];
}) {
  const { db, clock, ids, sealer } = deps;

  const allow = (organizationId: string, principal: Principal) =>
    requirePermission(db.reads, principal, organizationId, 'organization:write');

  function checkedUrl(url: string): string {
    const verdict = checkWebhookUrl(url, deps.allowedHosts);
    if (!verdict.ok) throw webhookErrors.urlNotAllowed(verdict.reason);
    return verdict.url.toString();
  }

  async function load(organizationId: string, id: string): Promise<WebhooksTable> {
    const row = await findWebhook(db.kysely, organizationId, id);
    if (!row) throw webhookErrors.notFound();
    return row;
  }

  return {
    /** Needs organization:write. A refused URL is 400 webhook_url_not_allowed; no `events`: every type. */
    async create(
      principal: Principal,
      organizationId: string,
      input: { url: string; events?: EventType[]; description?: string },
    ): Promise<WebhookWithSecret> {
      await allow(organizationId, principal);
      const url = checkedUrl(input.url);
      const id = ids.uuid();
      const secret = newWebhookSecret();
      const now = clock.now();
      const row: WebhooksTable = {
        id,
        organization_id: organizationId,
        url,
        description: input.description ?? null,
        events: input.events ? JSON.stringify([...new Set(input.events)]) : null,
        enabled: 1,
        disabled_reason: null,
        secret_sealed: sealer.seal(secret, sealContext(id)),
        previous_secret_sealed: null,
        previous_secret_until: null,
        failing_since: null,
        created_at: now,
        updated_at: now,
      };
      await insertWebhook(db.kysely, row);
      return { ...toWebhook(row), secret };
    },

    async list(principal: Principal, organizationId: string): Promise<Webhook[]> {
      await allow(organizationId, principal);
      return (await listWebhooks(db.kysely, organizationId)).map(toWebhook);
    },

    async get(principal: Principal, organizationId: string, id: string): Promise<Webhook> {
      await allow(organizationId, principal);
      return toWebhook(await load(organizationId, id));
    },

    /** url, events (null: every type), description, enabled; enabling again forgets the failing run. */
    async update(
      principal: Principal,
      organizationId: string,
      id: string,
      input: { url?: string; events?: EventType[] | null; description?: string | null; enabled?: boolean },
    ): Promise<Webhook> {
      await allow(organizationId, principal);
      const set: Partial<WebhooksTable> = { updated_at: clock.now() };
      if (input.url !== undefined) set.url = checkedUrl(input.url);
      if (input.events !== undefined)
        set.events = input.events === null ? null : JSON.stringify([...new Set(input.events)]);
      if (input.description !== undefined) set.description = input.description;
      if (input.enabled !== undefined) {
        set.enabled = input.enabled ? 1 : 0;
        set.disabled_reason = input.enabled ? null : 'disabled by an administrator';
        if (input.enabled) set.failing_since = null;
      }
      if (!(await updateWebhook(db.kysely, organizationId, id, set))) throw webhookErrors.notFound();
      return toWebhook(await load(organizationId, id));
    },

    /** Deletes the endpoint; its undelivered deliveries are cancelled. */
    async remove(principal: Principal, organizationId: string, id: string): Promise<void> {
      await allow(organizationId, principal);
      const gone = await inTransaction(db, (trx) => deleteWebhook(trx, organizationId, id));
      if (!gone) throw webhookErrors.notFound();
    },

    /** A new secret; the current one keeps signing beside it for 24 h. */
    async rotateSecret(principal: Principal, organizationId: string, id: string): Promise<WebhookWithSecret> {
      await allow(organizationId, principal);
      const row = await load(organizationId, id);
      const secret = newWebhookSecret();
      const now = clock.now();
      const rotated = await updateWebhook(db.kysely, organizationId, id, {
        secret_sealed: sealer.seal(secret, sealContext(id)),
        previous_secret_sealed: row.secret_sealed,
        previous_secret_until: now + ROTATION_OVERLAP_MS,
        updated_at: now,
      });
      if (!rotated) throw webhookErrors.notFound();
      return { ...toWebhook({ ...row, updated_at: now }), secret };
    },

    /** The endpoint's deliveries, newest first, keyset-paginated. */
    async deliveries(
      principal: Principal,
      organizationId: string,
      id: string,
      query: { limit?: number; cursor?: string },
    ): Promise<DeliveryPage> {
      const cursor = query.cursor ? decodeCursor(query.cursor) : undefined;
      const limit = query.limit ?? 50;
      await allow(organizationId, principal);
      await load(organizationId, id);
      const rows = await listDeliveries(db.kysely, id, {
        limit: limit + 1,
        ...(cursor ? { cursor: { at: cursor.createdAt, id: cursor.id } } : {}),
      });
      const items = rows.slice(0, limit);
      const last = items[items.length - 1];
      return {
        items,
        next: rows.length > limit && last ? { createdAt: last.created_at, id: last.id } : null,
        limit,
      };
    },

    /** Sends the delivery's event again, as a new delivery with the same `webhook-id` (the event id). */
    async replay(
      principal: Principal,
      organizationId: string,
      id: string,
      deliveryId: string,
    ): Promise<DeliveryRow> {
      await allow(organizationId, principal);
      await load(organizationId, id);
      const original = await findDelivery(db.kysely, id, deliveryId);
      if (!original?.event_id) throw webhookErrors.deliveryNotFound();
      const eventId = original.event_id;
      const replayId = ids.uuid();
      await inTransaction(db, (trx) =>
        enqueueWebhookDelivery(trx, { id: replayId, webhookId: id, eventId, now: clock.now() }),
      );
      const replayed = await findDelivery(db.kysely, id, replayId);
      if (!replayed) throw new Error('replayed delivery vanished');
      return replayed;
    },
  };
}

export type WebhooksService = ReturnType<typeof createWebhooksService>;
