import { writesInWith } from '../../db/precompiled.js';
import type { Executor } from '../../db/tx.js';
import { isoTime } from '../../platform/clock.js';
import type { Ids } from '../../platform/ids.js';
import { enqueueWebhookDelivery, notifyDeliveriesQueued } from '../outbox/webhook-deliveries.repository.js';
import type { EventRecord, NewEvent } from './event.model.js';
import {
  insertEvent,
  insertEventIfMembership,
  insertEventIfMembershipQueuingDeliveries,
  insertEventQueuingDeliveries,
  subscribedWebhooks,
  subscribedWebhooksIfRecorded,
} from './events.repository.js';

/**
 * Records a transition's event inside the transition's own transaction, and one webhook delivery
 * (an outbox row) per enabled endpoint of the organization subscribed to its type: a rolled-back
 * transition leaves neither. Two precompiled statements when the organization has no endpoint (the
 * INSERT and an index-only lookup), one round trip on PostgreSQL. Returns how many deliveries were queued.
 *
 * `ifMembership`: only if that membership exists when the INSERT runs, as decided by a membership
 * INSERT handed over just before it (`together`, tx.ts); nothing is recorded or queued otherwise
 * (the id returned is then the one the event would have had, and deliveries 0).
 */
export async function recordEvent(
  trx: Executor,
  ids: Ids,
  now: number,
  event: NewEvent,
  ifMembership?: string,
): Promise<{ id: string; deliveries: number }> {
  const record: EventRecord = {
    id: ids.uuid(),
    type: event.type,
    occurredAt: isoTime(now),
    organizationId: event.organizationId,
    actor: event.actor,
    data: event.data,
  };
  const row = {
    id: record.id,
    organization_id: record.organizationId,
    type: record.type,
    occurred_at: now,
    payload: JSON.stringify(record),
  };
  const needle = JSON.stringify(event.type);
  const org = event.organizationId;
  if (writesInWith(trx)) {
    // PostgreSQL: the event and its deliveries in one statement, so the transaction may commit
    // without waiting for its answer (commitWith, db/tx.ts)
    const queued =
      ifMembership !== undefined
        ? await insertEventIfMembershipQueuingDeliveries(trx, row, ifMembership, org, needle)
        : await insertEventQueuingDeliveries(trx, row, org, needle);
    const deliveries = Number(queued?.deliveries ?? 0);
    if (deliveries > 0) notifyDeliveriesQueued(trx);
    return { id: record.id, deliveries };
  }
  let hooks: { id: string }[];
  if (ifMembership !== undefined) {
    await insertEventIfMembership(trx, row, ifMembership);
    hooks = await subscribedWebhooksIfRecorded(trx, org, needle, row.id);
  } else {
    await insertEvent(trx, row);
    hooks = await subscribedWebhooks(trx, org, needle);
  }
  for (const h of hooks) {
    await enqueueWebhookDelivery(trx, { id: ids.uuid(), webhookId: h.id, eventId: record.id, now });
  }
  return { id: record.id, deliveries: hooks.length };
}
