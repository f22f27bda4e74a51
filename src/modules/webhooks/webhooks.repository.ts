import { sql } from 'kysely';
import type { OutboxTable, WebhooksTable } from '../../db/schema.js';
import type { Executor } from '../../db/tx.js';

// Webhook endpoints and their deliveries (outbox rows of kind `webhook`, see migration 0009).

export async function insertWebhook(db: Executor, row: WebhooksTable): Promise<void> {
  await db.insertInto('webhooks').values(row).execute();
}

export function findWebhook(db: Executor, organizationId: string, id: string) {
  return db
    .selectFrom('webhooks')
    .selectAll()
    .where('organization_id', '=', organizationId)
    .where('id', '=', id)
    .executeTakeFirst();
}

/** The dispatcher's view of an endpoint, by id alone. */
export function findWebhookById(db: Executor, id: string) {
  return db.selectFrom('webhooks').selectAll().where('id', '=', id).executeTakeFirst();
}

export function listWebhooks(db: Executor, organizationId: string) {
  return db
    .selectFrom('webhooks')
    .selectAll()
    .where('organization_id', '=', organizationId)
    .orderBy('created_at', 'desc')
    .orderBy('id', 'desc')
    .execute();
}

export async function updateWebhook(
  db: Executor,
  organizationId: string,
  id: string,
  set: Partial<Omit<WebhooksTable, 'id' | 'organization_id' | 'created_at'>>,
): Promise<boolean> {
  const r = await db
    .updateTable('webhooks')
    .set(set)
    .where('organization_id', '=', organizationId)
    .where('id', '=', id)
    .executeTakeFirst();
  return Number(r.numUpdatedRows) === 1;
}

/** Deletes the endpoint and drops its undelivered deliveries (delivered ones stay until the sweep). */
export async function deleteWebhook(db: Executor, organizationId: string, id: string): Promise<boolean> {
  const r = await db
    .deleteFrom('webhooks')
    .where('organization_id', '=', organizationId)
    .where('id', '=', id)
    .executeTakeFirst();
  if (Number(r.numDeletedRows) !== 1) return false;
  await db
    .updateTable('outbox')
    .set({ status: 'cancelled', lease_owner: null, lease_until: null })
    .where('webhook_id', '=', id)
    .where('status', 'in', ['queued', 'retrying', 'sending'])
    .execute();
  return true;
}

export type DeliveryRow = Pick<
  OutboxTable,
  | 'id'
  | 'event_id'
  | 'status'
  | 'attempts'
  | 'last_status_code'
  | 'last_error'
  | 'last_attempt_at'
  | 'next_attempt_at'
  | 'created_at'
> & { event_type: string | null };

function deliveries(db: Executor) {
  return db
    .selectFrom('outbox as o')
    .leftJoin('events as e', 'e.id', 'o.event_id')
    .select([
      'o.id',
      'o.event_id',
      'e.type as event_type',
      'o.status',
      'o.attempts',
      'o.last_status_code',
      'o.last_error',
      'o.last_attempt_at',
      'o.next_attempt_at',
      'o.created_at',
    ]);
}

/** An endpoint's deliveries, newest first, keyset on (created_at, id). */
export function listDeliveries(
  db: Executor,
  webhookId: string,
  opts: { limit: number; cursor?: { at: number; id: string } },
): Promise<DeliveryRow[]> {
  let q = deliveries(db).where('o.webhook_id', '=', webhookId);
  const c = opts.cursor;
  if (c) {
    q = q.where((eb) =>
      eb.or([eb('o.created_at', '<', c.at), eb.and([eb('o.created_at', '=', c.at), eb('o.id', '<', c.id)])]),
    );
  }
  return q.orderBy('o.created_at', 'desc').orderBy('o.id', 'desc').limit(opts.limit).execute();
}

export function findDelivery(db: Executor, webhookId: string, id: string): Promise<DeliveryRow | undefined> {
  return deliveries(db).where('o.webhook_id', '=', webhookId).where('o.id', '=', id).executeTakeFirst();
}

/** After an attempt: success ends a failing run; a failure starts one (kept from its first failure). */
export async function recordWebhookHealth(db: Executor, id: string, ok: boolean, now: number): Promise<void> {
  await db
    .updateTable('webhooks')
    .set(
      ok
        ? { failing_since: null }
        : (eb) => ({ failing_since: eb.fn.coalesce('failing_since', sql.val(now)) }),
    )
    .where('id', '=', id)
    .execute();
}

/** Disables an endpoint that kept failing; its waiting deliveries fail with it. */
export async function disableWebhook(db: Executor, id: string, reason: string, now: number): Promise<void> {
  await db
    .updateTable('webhooks')
    .set({ enabled: 0, disabled_reason: reason, updated_at: now })
    .where('id', '=', id)
    .execute();
}
