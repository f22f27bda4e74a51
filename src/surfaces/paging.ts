import {
  decodeCursor,
  type EffectiveStatus,
  type PageOptions,
} from '../modules/invitations/invitation.model.js';

/** The validated PageQuery of a list route as service page options (limit 50 unless given). */
export function pageOptions(query: { status?: string; limit?: number; cursor?: string }): PageOptions {
  return {
    limit: query.limit ?? 50,
    ...(query.status ? { status: query.status as EffectiveStatus } : {}),
    ...(query.cursor ? { cursor: decodeCursor(query.cursor) } : {}),
  };
}
