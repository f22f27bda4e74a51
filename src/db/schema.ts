// Table interfaces. Columns are snake_case; every timestamp is epoch milliseconds in a 64-bit integer
// on both dialects (one representation and precision, so keyset cursors neither skip nor repeat).

import type { ColumnType } from 'kysely';

export interface UsersTable {
  id: string;
  issuer: string;
  subject: string;
  email: string | null;
  email_verified: number;
  name: string | null;
  picture: string | null;
  created_at: number;
  updated_at: number;
}

export interface OrganizationsTable {
  id: string;
  name: string;
  logo_url: string | null;
  created_at: number;
  updated_at: number;
}

export interface WorkspacesTable {
  id: string;
  organization_id: string;
  name: string;
  created_at: number;
}

export interface RolesTable {
  id: string;
  organization_id: string;
  key: string;
  name: string;
  /** space-separated permission names from the catalogue */
  permissions: string;
  created_at: number;
  updated_at: number;
}

export interface MembershipsTable {
  id: string;
  organization_id: string;
  user_id: string;
  role_id: string;
  source_invitation_id: string | null;
  created_at: number;
}

export interface WorkspaceMembershipsTable {
  id: string;
  workspace_id: string;
  organization_id: string;
  user_id: string;
  source_invitation_id: string | null;
  created_at: number;
}

/** Every status an invitation can have: the one list (migration 0001's CHECK keeps its own copy, as history). */
export const INVITATION_STATUSES = ['pending', 'accepted', 'declined', 'revoked', 'expired'] as const;
export type StoredInvitationStatus = (typeof INVITATION_STATUSES)[number];
export type DeliveryStatus = 'none' | 'queued' | 'sent' | 'retrying' | 'failed' | 'cancelled';

export interface InvitationsTable {
  id: string;
  organization_id: string;
  workspace_id: string | null;
  email: string;
  role_id: string;
  inviter_id: string;
  status: StoredInvitationStatus;
  /** SHA-256 hex of the current token; the plain token is never stored */
  token_hash: string;
  created_at: number;
  expire_at: number;
  updated_at: number;
  accepted_at: number | null;
  accepted_by: string | null;
  declined_at: number | null;
  declined_by: string | null;
  revoked_at: number | null;
  revoked_by: string | null;
  expired_at: number | null;
  resent_at: number | null;
  resend_count: number;
  delivery_status: DeliveryStatus;
  delivery_attempts: number;
  delivery_last_attempt_at: number | null;
  delivery_last_error: string | null;
}

export type OutboxStatus = 'queued' | 'sending' | 'retrying' | 'sent' | 'failed' | 'cancelled';

export interface OutboxTable {
  id: string;
  /** null for mail that belongs to no invitation (a sign-in code) */
  invitation_id: string | null;
  kind: string;
  recipient: string;
  status: OutboxStatus;
  attempts: number;
  next_attempt_at: number;
  lease_owner: string | null;
  lease_until: number | null;
  /** the invitation token (or sign-in code) sealed with ADMIT_SECRET; wiped (null) once sent, failed or cancelled */
  sealed_token: string | null;
  message_id: string;
  last_attempt_at: number | null;
  last_error: string | null;
  created_at: number;
  sent_at: number | null;
  /** kind `webhook` (migration 0009): the endpoint and the event delivered; null for mail */
  webhook_id: string | null;
  event_id: string | null;
  /** kind `webhook`: the endpoint's last HTTP status */
  last_status_code: number | null;
}

export interface SigningKeysTable {
  kid: string;
  alg: string;
  public_jwk: string;
  /** the private JWK sealed with ADMIT_SECRET */
  private_sealed: string;
  created_at: number;
  /** signs from then on (published from created_at); 0 when written without it: at once */
  activates_at: ColumnType<number, number | undefined, number>;
}

/** SQLite only (migration 0004): bumped by triggers on every write that can change a list. */
export interface InvitationListVersionsTable {
  organization_id: string;
  version: number;
}

/** The built-in OpenID provider's payloads (oidc-provider models), by model and id (migration 0005). */
export interface OAuthPayloadsTable {
  model: string;
  id: string;
  /** the payload as JSON */
  payload: string;
  grant_id: string | null;
  user_code: string | null;
  uid: string | null;
  expires_at: number | null;
  consumed_at: number | null;
}

export interface OAuthClientsTable {
  client_id: string;
  name: string;
  /** SHA-256 hex of the client secret; null for a public client */
  secret_hash: string | null;
  /** JSON array */
  redirect_uris: string;
  admin: number;
  organization_id: string | null;
  role_key: string | null;
  /** the users row that names the client as an invitation's inviter; never a member */
  inviter_user_id: string;
  created_at: number;
}

export interface OAuthSignInCodesTable {
  /** the interaction the code was sent for */
  uid: string;
  email: string;
  /** SHA-256 hex of the code */
  code_hash: string;
  attempts: number;
  expires_at: number;
  created_at: number;
}

/** subject → canonical email of everyone who signed in at the built-in provider */
export interface OAuthAccountsTable {
  subject: string;
  email: string;
  created_at: number;
}

/** Migration 0006: the invitation page's server-side sessions, keyed by the cookie value's SHA-256. */
export interface WebSessionsTable {
  id_hash: string;
  user_id: string;
  issuer: string;
  subject: string;
  email: string | null;
  email_verified: number;
  name: string | null;
  picture: string | null;
  csrf_token: string;
  refresh_sealed: string | null;
  created_at: number;
  expires_at: number;
}

/** Migration 0007: stored outcomes of requests made with an Idempotency-Key (SPEC §8). */
export interface IdempotencyKeysTable {
  /** SHA-256 hex of (caller, method, path, key) */
  id: string;
  /** SHA-256 hex of the request body as parsed JSON, keys sorted */
  request_hash: string;
  state: 'running' | 'done';
  /** a running row whose lock has passed belongs to a request that died: the next one takes over */
  locked_until: number;
  response_status: number | null;
  /** the outcome as JSON, sealed with ADMIT_SECRET (a create's body carries the invitation link) */
  response_sealed: string | null;
  created_at: number;
  expires_at: number;
}

/** Migration 0008: one row per transition; `payload` is the event record as the audit log lists it. */
export interface EventsTable {
  id: string;
  organization_id: string;
  type: string;
  occurred_at: number;
  payload: string;
}

/** Migration 0009: webhook endpoints per organization. */
export interface WebhooksTable {
  id: string;
  organization_id: string;
  url: string;
  description: string | null;
  /** JSON array of event types; null = every type */
  events: string | null;
  enabled: number;
  disabled_reason: string | null;
  secret_sealed: string;
  previous_secret_sealed: string | null;
  previous_secret_until: number | null;
  failing_since: number | null;
  created_at: number;
  updated_at: number;
}

export interface Database {
  users: UsersTable;
  organizations: OrganizationsTable;
  workspaces: WorkspacesTable;
  roles: RolesTable;
  memberships: MembershipsTable;
  workspace_memberships: WorkspaceMembershipsTable;
  invitations: InvitationsTable;
  outbox: OutboxTable;
  invitation_list_versions: InvitationListVersionsTable;
  signing_keys: SigningKeysTable;
  oauth_payloads: OAuthPayloadsTable;
  oauth_clients: OAuthClientsTable;
  oauth_sign_in_codes: OAuthSignInCodesTable;
  oauth_accounts: OAuthAccountsTable;
  web_sessions: WebSessionsTable;
  idempotency_keys: IdempotencyKeysTable;
  events: EventsTable;
  webhooks: WebhooksTable;
}
