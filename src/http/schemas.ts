import { type TSchema, Type } from 'typebox';
import {
  DEFAULT_PAGE_LIMIT,
  INVITATION_STATUSES,
  MAX_PAGE_LIMIT,
} from '../modules/invitations/invitation.model.js';
import { UUID_PATTERN } from '../platform/ids.js';

export const Uuid = (description?: string) =>
  Type.String({ format: 'uuid', pattern: UUID_PATTERN, ...(description ? { description } : {}) });
export const DateTime = (description?: string) =>
  Type.String({ format: 'date-time', ...(description ? { description } : {}) });
export const Nullable = <T extends TSchema>(schema: T) => Type.Union([schema, Type.Null()]);

export const InvitationStatus = Type.Enum([...INVITATION_STATUSES]);

export const PageQuery = Type.Object({
  status: Type.Optional(InvitationStatus),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: MAX_PAGE_LIMIT, default: DEFAULT_PAGE_LIMIT })),
  cursor: Type.Optional(
    Type.String({ maxLength: 512, description: 'Opaque position from the previous page.' }),
  ),
});

/** RFC 9457 problem details with Admit's stable `code`. */
export const Problem = Type.Object(
  {
    type: Type.String(),
    title: Type.String(),
    status: Type.Integer(),
    code: Type.String({ description: 'Stable snake_case error code.' }),
    detail: Type.String(),
  },
  { description: 'application/problem+json' },
);

/** The /api/v1 error envelope. */
export const EnvelopeError = Type.Object({
  success: Type.Literal(false),
  error: Type.Object({ code: Type.String(), message: Type.String() }),
  message: Type.String(),
});

/** How a surface's errors look: RFC 9457 problem+json (admin, invitee) or the {success, error} envelope (/api/v1). */
export type ErrorStyle = 'problem' | 'envelope';

const STATUS_TEXT: Record<number, string> = {
  400: 'Bad request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not found',
  409: 'Conflict',
  410: 'Gone',
  413: 'Payload too large',
  415: 'Unsupported media type',
  422: 'Unprocessable content',
  429: 'Too many requests',
  500: 'Internal server error',
  503: 'Service unavailable',
};

/** The error responses a route documents, in its error style. */
export function errorResponses(style: ErrorStyle, statuses: number[]): Record<number, TSchema> {
  const out: Record<number, TSchema> = {};
  for (const s of [...statuses, 429, 503]) {
    const description = STATUS_TEXT[s] ?? 'Error';
    // problem+json is the media type these errors are sent with, so the document says so too
    out[s] =
      style === 'envelope'
        ? Type.Unsafe({ ...EnvelopeError, description })
        : Type.Unsafe({ description, content: { 'application/problem+json': { schema: Problem } } });
  }
  return out;
}

export function statusText(status: number): string {
  return STATUS_TEXT[status] ?? 'Error';
}
