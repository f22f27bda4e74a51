import type { Db } from '../../db/create-db.js';
import type { Clock } from '../../platform/clock.js';
import { outboxBacklog } from '../outbox/outbox-backlog.repository.js';
import { isEmptyDatabase } from './system.repository.js';

/** Facts about the installation as a whole, for the system surface and the server's first start. */
export function createSystemService(deps: { db: Db; clock: Clock }) {
  const { db, clock } = deps;
  return {
    /** Resolves when the database answers (readiness); rejects otherwise. */
    ping: (): Promise<void> => db.ping(),
    /** True on a database nobody has used yet (no user, no organization): the first start. */
    isEmpty: (): Promise<boolean> => isEmptyDatabase(db.kysely),
    /** The mail not yet delivered, database-wide (metrics, read when scraped). */
    outboxBacklog: () => outboxBacklog(db.kysely, clock.now()),
  };
}

export type SystemService = ReturnType<typeof createSystemService>;
