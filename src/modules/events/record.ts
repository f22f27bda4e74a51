import { writesInWith } from '../../db/precompiled.js';
import type { Executor } from '../../db/tx.js';
import { isoTime } from '../../platform/clock.js';
import type { Ids } from '../../platform/ids.js';
import { enqueueWebhookDelivery } from '../outbox/outbox.repository.js';
import type { EventRecord, NewEvent } from './event.model.js';
import {
  insertEvent,
  insertEventIfMembership,
  insertEventIfMembershipListingWebhooks,
  insertEventListingWebhooks,
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
  let hooks: { id: string }[];
  const org = event.organizationId;
  if (ifMembership !== undefined) {
    if (writesInWith(trx)) {
      hooks = await insertEventIfMembershipListingWebhooks(trx, row, ifMembership, org, needle);
    } else {
      await insertEventIfMembership(trx, row, ifMembership);
      hooks = await subscribedWebhooksIfRecorded(trx, org, needle, row.id);
    }
  } else if (writesInWith(trx)) {
    hooks = await insertEventListingWebhooks(trx, row, org, needle);
  } else {
    await insertEvent(trx, row);
    hooks = await subscribedWebhooks(trx, org, needle);
  }
  for (const h of hooks) {
    await enqueueWebhookDelivery(trx, { id: ids.uuid(), webhookId: h.id, eventId: record.id, now });
  }
  return { id: record.id, deliveries: hooks.length };
}
