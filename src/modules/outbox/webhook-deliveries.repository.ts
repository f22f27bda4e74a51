import { type Insertable, type SelectQueryBuilder, sql } from 'kysely';
import { precompiledResult } from '../../db/precompiled.js';
import type { Database, OutboxTable } from '../../db/schema.js';
import { type Executor, notifyOnCommit } from '../../db/tx.js';
import { OUTBOX_QUEUED } from './outbox.repository.js';

// The outbox's webhook deliveries (kind `webhook`): the endpoint and the event, nothing sealed. The
// dispatcher claims and settles them with the mail (outbox.repository.ts); what an attempt sends is
// src/outbox/webhook.ts's.

export const WEBHOOK = 'webhook';

const insertWebhookRow = precompiledResult((db: Executor, row: Insertable<OutboxTable>) =>
  db.insertInto('outbox').values(row),
);

/**
 * Where writes run inside WITH (PostgreSQL): one delivery of the event per endpoint `endpoints`
 * selects, written by the statement that records the event (events.repository.ts), so an event and
 * its deliveries take one statement and need no answer in between (`commitWith`, db/tx.ts). How many
 * endpoints match is known only as the statement runs, so the database makes the rows' ids
 * (`gen_random_uuid`); each row's Message-ID is its id, as in enqueueWebhookDelivery.
 */
export function webhookDeliveriesOf(
  db: Executor,
  endpoints: SelectQueryBuilder<Database, 'webhooks', object>,
  eventId: string,
  now: number,
) {
  const made = endpoints.select(['webhooks.id as endpoint', sql<string>`gen_random_uuid()::text`.as('id')]);
  return db
    .insertInto('outbox')
    .columns([
      'id',
      'invitation_id',
      'kind',
      'recipient',
      'status',
      'attempts',
      'next_attempt_at',
      'message_id',
      'created_at',
      'webhook_id',
      'event_id',
    ])
    .expression(
      db
        .selectFrom(made.as('made'))
        .select((eb) => [
          'made.id',
          sql.lit(null).as('invitation_id'),
          sql.lit(WEBHOOK).as('kind'),
          'made.endpoint as recipient',
          sql.lit('queued').as('status'),
          sql.lit(0).as('attempts'),
          eb.val(now).as('next_attempt_at'),
          'made.id as message_id',
          eb.val(now).as('created_at'),
          'made.endpoint as webhook_id',
          eb.val(eventId).as('event_id'),
        ]),
    );
}

/** After webhookDeliveriesOf queued rows in this transaction: the dispatcher is woken once it commits. */
export function notifyDeliveriesQueued(trx: Executor): void {
  notifyOnCommit(trx, OUTBOX_QUEUED);
}

/** One delivery of an event to an endpoint; `webhook-id` is the event id on every attempt and replay. */
export async function enqueueWebhookDelivery(
  db: Executor,
  row: { id: string; webhookId: string; eventId: string; now: number },
): Promise<void> {
  await insertWebhookRow(db, {
    id: row.id,
    invitation_id: null,
    kind: WEBHOOK,
    recipient: row.webhookId,
    status: 'queued',
    attempts: 0,
    next_attempt_at: row.now,
    lease_owner: null,
    lease_until: null,
    sealed_token: null,
    // unique per row (the mail's Message-ID); the webhook-id header is the event id
    message_id: row.id,
    last_attempt_at: null,
    last_error: null,
    created_at: row.now,
    sent_at: null,
    webhook_id: row.webhookId,
    event_id: row.eventId,
  });
  notifyOnCommit(db, OUTBOX_QUEUED);
}
