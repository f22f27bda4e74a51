import {
  type DeliveryStatus,
  INVITATION_STATUSES,
  type InvitationsTable,
  type StoredInvitationStatus,
} from '../../db/schema.js';
import { commonErrors } from '../../errors.js';

export type EffectiveStatus = StoredInvitationStatus;
export { INVITATION_STATUSES };

/** List pages: `limit` when none is given, and the largest a caller may ask for. */
export const DEFAULT_PAGE_LIMIT = 50;
export const MAX_PAGE_LIMIT = 200;

/** `expired` is derived: a stored pending row whose expiry has passed by the service clock. */
export function effectiveStatus(
  row: { status: StoredInvitationStatus; expire_at: number },
  now: number,
): EffectiveStatus {
  return row.status === 'pending' && row.expire_at <= now ? 'expired' : row.status;
}

export interface Invitation {
  id: string;
  organizationId: string;
  workspaceId: string | null;
  email: string;
  roleId: string;
  role: string;
  roleName: string;
  inviterId: string;
  status: EffectiveStatus;
  createdAt: number;
  expireAt: number;
  delivery: {
    status: DeliveryStatus;
    attempts: number;
    lastAttemptAt: number | null;
    lastError: string | null;
  };
}

export interface InvitationRow {
  id: string;
  organization_id: string;
  workspace_id: string | null;
  email: string;
  role_id: string;
  role_key: string;
  role_name: string;
  inviter_id: string;
  status: StoredInvitationStatus;
  created_at: number;
  expire_at: number;
  delivery_status: DeliveryStatus;
  delivery_attempts: number;
  delivery_last_attempt_at: number | null;
  delivery_last_error: string | null;
}

export function toInvitation(r: InvitationRow, now: number): Invitation {
  return {
    id: r.id,
    organizationId: r.organization_id,
    workspaceId: r.workspace_id,
    email: r.email,
    roleId: r.role_id,
    role: r.role_key,
    roleName: r.role_name,
    inviterId: r.inviter_id,
    status: effectiveStatus(r, now),
    createdAt: r.created_at,
    expireAt: r.expire_at,
    delivery: {
      status: r.delivery_status,
      attempts: r.delivery_attempts,
      lastAttemptAt: r.delivery_last_attempt_at,
      lastError: r.delivery_last_error,
    },
  };
}

/** A page position: the last row's (createdAt, id), opaque to clients. */
export interface Cursor {
  createdAt: number;
  id: string;
}

export function encodeCursor(c: Cursor): string {
  return Buffer.from(JSON.stringify([c.createdAt, c.id])).toString('base64url');
}

export function decodeCursor(text: string): Cursor {
  try {
    const value: unknown = JSON.parse(Buffer.from(text, 'base64url').toString('utf8'));
    if (
      Array.isArray(value) &&
      value.length === 2 &&
      Number.isSafeInteger(value[0]) &&
      typeof value[1] === 'string' &&
      value[1].length <= 64
    ) {
      return { createdAt: value[0], id: value[1] };
    }
  } catch {
    // fall through
  }
  throw commonErrors.invalidCursor();
}

export interface Page<T> {
  items: T[];
  next: Cursor | null;
}

export type PageOptions = { status?: EffectiveStatus; limit: number; cursor?: Cursor };

/** A list route's validated query (PageQuery in src/http/schemas.ts). */
export interface ListQuery {
  status?: string;
  limit?: number;
  cursor?: string;
}

/** The validated query of a list route as page options (DEFAULT_PAGE_LIMIT unless given). */
export function pageOptions(query: ListQuery): PageOptions {
  return {
    limit: query.limit ?? DEFAULT_PAGE_LIMIT,
    ...(query.status ? { status: query.status as EffectiveStatus } : {}),
    ...(query.cursor ? { cursor: decodeCursor(query.cursor) } : {}),
  };
}

/** The row of a new pending invitation: every transition column empty, delivery as queued or none. */
export function newPendingInvitation(
  fields: Pick<
    InvitationsTable,
    | 'id'
    | 'organization_id'
    | 'workspace_id'
    | 'email'
    | 'role_id'
    | 'inviter_id'
    | 'token_hash'
    | 'created_at'
    | 'expire_at'
  > & { delivery_status: 'queued' | 'none' },
): InvitationsTable {
  return {
    ...fields,
    status: 'pending',
    updated_at: fields.created_at,
    accepted_at: null,
    accepted_by: null,
    declined_at: null,
    declined_by: null,
    revoked_at: null,
    revoked_by: null,
    expired_at: null,
    resent_at: null,
    resend_count: 0,
    delivery_attempts: 0,
    delivery_last_attempt_at: null,
    delivery_last_error: null,
  };
}
