import type { Config } from './config.js';
import type { Db } from './db/create-db.js';
import { createAuditLogService } from './modules/audit/audit-log.service.js';
import { createIdempotencyService } from './modules/idempotency/idempotency.service.js';
import { createInvitationsService } from './modules/invitations/invitations.service.js';
import { createRespondService } from './modules/invitations/respond.service.js';
import { createMembersService } from './modules/organizations/members.service.js';
import { createOrganizationsService } from './modules/organizations/organizations.service.js';
import { createRolesService } from './modules/organizations/roles.service.js';
import { createSweepService } from './modules/retention/sweep.service.js';
import { createSessionsService } from './modules/sessions/sessions.service.js';
import { createSystemService } from './modules/system/system.service.js';
import { createUsersService } from './modules/users/users.service.js';
import { createWebhooksService } from './modules/webhooks/webhooks.service.js';
import type { Clock } from './platform/clock.js';
import type { Counters } from './platform/counters.js';
import type { Sealer } from './platform/crypto.js';
import type { Ids } from './platform/ids.js';

// The domain core, built once per process from its runtime (compose.ts): every surface, and every later
// one (the OAuth2 provider, webhooks), receives this object. A new service is one line below; its
// type, and the surfaces' context, follow. Part of the services layer: knows no HTTP and no runtime.

/** What the services are built from (a Runtime has all of it). */
export interface ServiceDeps {
  config: Config;
  db: Db;
  clock: Clock;
  ids: Ids;
  sealer: Sealer;
  counters: Counters;
}

export function createServices(rt: ServiceDeps) {
  const { config, db, clock, ids } = rt;
  return {
    system: createSystemService({ db, clock }),
    users: createUsersService({ db, clock, ids, systemAdminEmails: config.systemAdminEmails }),
    organizations: createOrganizationsService({
      db,
      clock,
      ids,
      counters: rt.counters,
      quotaOrgCreate: config.quotaOrgCreate,
    }),
    roles: createRolesService({ db, clock, ids }),
    members: createMembersService({ db, clock, ids }),
    invitations: createInvitationsService({
      db,
      clock,
      ids,
      sealer: rt.sealer,
      counters: rt.counters,
      publicUrl: config.publicUrl,
      ttlMs: config.invitationTtlMs,
      maxTtlMs: config.invitationMaxTtlMs,
      quotaOrg: config.quotaOrg,
      quotaRecipient: config.quotaRecipient,
      quotaRecipientAll: config.quotaRecipientAll,
      quotaInviter: config.quotaInviter,
    }),
    respond: createRespondService({ db, clock, ids }),
    sessions: createSessionsService({ db, clock, sealer: rt.sealer }),
    idempotency: createIdempotencyService({ db, clock, sealer: rt.sealer }),
    events: createAuditLogService({ db }),
    retention: createSweepService({
      db,
      clock,
      ids,
      eventRetentionMs: config.eventRetentionMs,
      outboxRetentionMs: config.outboxRetentionMs,
    }),
    webhooks: createWebhooksService({
      db,
      clock,
      ids,
      sealer: rt.sealer,
      allowedHosts: config.webhookAllowedHosts,
    }),
  };
}

export type Services = ReturnType<typeof createServices>;
