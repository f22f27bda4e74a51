import { type Expression, type ExpressionBuilder, type SqlBool, sql } from 'kysely';
import {
  dialectOf,
  precompiled,
  precompiledFirst,
  precompiledResult,
  type Reader,
  unbatched,
} from '../../db/precompiled.js';
import type { Database, EventsTable } from '../../db/schema.js';
import type { Executor } from '../../db/tx.js';
import { webhookDeliveriesOf } from '../outbox/webhook-deliveries.repository.js';

// The events table: written inside the transaction of each transition (one precompiled INSERT),
// read by the audit log and the webhook channel, deleted by the retention sweep.

const insert = precompiledResult((db: Executor, row: EventsTable) => db.insertInto('events').values(row));

export async function insertEvent(db: Executor, row: EventsTable): Promise<void> {
  await insert(db, row);
}

/**
 * An enabled endpoint of the organization subscribed to a type: to every type (`events` null), or
 * `events`, a JSON array of types, holds `needle`, the type JSON-quoted (`"invitation.created"`).
 * The lookups below share it. A plain substring test, not LIKE: on
 * SQLite a LIKE whose pattern is a bound parameter makes the statement prepare itself anew on every
 * run (its LIKE optimisation depends on the value), 4.3 µs where `instr` takes 0.35 (BENCHMARKS.md,
 * item 51). The builders below branch on the dialect only, never on an argument.
 */
function subscribed(db: Executor, organizationId: string, needle: string) {
  const position = dialectOf(db) === 'postgres' ? sql`strpos` : sql`instr`;
  return (eb: ExpressionBuilder<Database, 'webhooks'>): Expression<SqlBool> =>
    eb.and([
      eb('organization_id', '=', organizationId),
      eb('enabled', '=', sql.lit(1)),
      eb.or([eb('events', 'is', null), eb(sql`${position}(${eb.ref('events')}, ${needle})`, '>', 0)]),
    ]);
}

/** The enabled endpoints of an organization subscribed to a type, inside the transition's transaction. */
export const subscribedWebhooks = precompiled((db: Executor, organizationId: string, needle: string) =>
  db
    .selectFrom('webhooks')
    .select('id')
    .where(subscribed(db, organizationId, needle)),
);

/**
 * Where writes run inside WITH (PostgreSQL): the event's INSERT and its deliveries, one per enabled
 * endpoint subscribed to it (webhookDeliveriesOf), in one statement that answers how many it queued.
 * Nothing waits for its answer before the next statement, or the COMMIT (`commitWith`, db/tx.ts).
 */
export const insertEventQueuingDeliveries = precompiledFirst(
  (db: Executor, row: EventsTable, organizationId: string, needle: string) =>
    db
      .with('recorded', (qc) => qc.insertInto('events').values(row).returning('id'))
      .with('queued', () =>
        webhookDeliveriesOf(
          db,
          db.selectFrom('webhooks').where(subscribed(db, organizationId, needle)),
          row.id,
          row.occurred_at,
        ).returning('id'),
      )
      .selectFrom('queued')
      .select((eb) => eb.fn.countAll<string>().as('deliveries')),
);

/**
 * An event recorded only if the membership `membershipId` exists: the membership INSERT before it in
 * the same transaction (ON CONFLICT DO NOTHING) decides, so the event can go out in the same batch
 * as that INSERT instead of after its answer (`together`, tx.ts).
 */
function eventIfMembership(db: Executor, row: EventsTable, membershipId: string) {
  return db
    .insertInto('events')
    .columns(['id', 'organization_id', 'type', 'occurred_at', 'payload'])
    .expression(
      db
        .selectNoFrom((eb) => [
          eb.val(row.id).as('id'),
          eb.val(row.organization_id).as('organization_id'),
          eb.val(row.type).as('type'),
          eb.val(row.occurred_at).as('occurred_at'),
          eb.val(row.payload).as('payload'),
        ])
        .where(({ exists, selectFrom }) =>
          exists(selectFrom('memberships').select(sql.lit(1).as('one')).where('id', '=', membershipId)),
        ),
    );
}

export const insertEventIfMembership = precompiledResult(eventIfMembership);

/** The endpoints subscribed to an event, if that event was recorded (after insertEventIfMembership). */
export const subscribedWebhooksIfRecorded = precompiled(
  (db: Executor, organizationId: string, needle: string, eventId: string) =>
    db
      .selectFrom('webhooks')
      .select('id')
      .where(subscribed(db, organizationId, needle))
      .where(({ exists, selectFrom }) =>
        exists(selectFrom('events').select(sql.lit(1).as('one')).where('id', '=', eventId)),
      ),
);

/** insertEventIfMembership and its deliveries (none if it was not recorded) in one statement, as insertEventQueuingDeliveries. */
export const insertEventIfMembershipQueuingDeliveries = precompiledFirst(
  (db: Executor, row: EventsTable, membershipId: string, organizationId: string, needle: string) =>
    db
      .with('recorded', () => eventIfMembership(db, row, membershipId).returning('id'))
      .with('queued', () =>
        webhookDeliveriesOf(
          db,
          db
            .selectFrom('webhooks')
            .where(subscribed(db, organizationId, needle))
            // the CTE above: this builder does not know it
            .where(sql<SqlBool>`exists (select 1 from "recorded")`),
          row.id,
          row.occurred_at,
        ).returning('id'),
      )
      .selectFrom('queued')
      .select((eb) => eb.fn.countAll<string>().as('deliveries')),
);

export interface EventListOptions {
  types: readonly string[];
  after?: number;
  before?: number;
  cursor?: { at: number; id: string };
  limit: number;
}

/** One audit-log page, newest first, keyset on (occurred_at, id); only the given types. */
export function listEvents(
  db: Reader,
  organizationId: string,
  opts: EventListOptions,
): Promise<Pick<EventsTable, 'id' | 'occurred_at' | 'payload'>[]> {
  let q = unbatched(db)
    .selectFrom('events')
    .select(['id', 'occurred_at', 'payload'])
    .where('organization_id', '=', organizationId)
    .where('type', 'in', [...opts.types]);
  if (opts.after !== undefined) q = q.where('occurred_at', '>', opts.after);
  if (opts.before !== undefined) q = q.where('occurred_at', '<', opts.before);
  const c = opts.cursor;
  if (c) {
    q = q.where((eb) =>
      eb.or([eb('occurred_at', '<', c.at), eb.and([eb('occurred_at', '=', c.at), eb('id', '<', c.id)])]),
    );
  }
  return q.orderBy('occurred_at', 'desc').orderBy('id', 'desc').limit(opts.limit).execute();
}

export function findEventPayload(db: Executor, id: string): Promise<{ payload: string } | undefined> {
  return db.selectFrom('events').select('payload').where('id', '=', id).executeTakeFirst();
}

/** The retention sweep: events older than `before`, at most `limit` per call. */
export async function deleteEventsBefore(db: Executor, before: number, limit: number): Promise<number> {
  const ids = db
    .selectFrom('events')
    .select('id')
    .where('occurred_at', '<', before)
    .orderBy('occurred_at')
    .limit(sql.lit(limit));
  const result = await db.deleteFrom('events').where('id', 'in', ids).executeTakeFirst();
  return Number(result.numDeletedRows);
}
