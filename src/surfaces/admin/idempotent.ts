import type { FastifyReply, FastifyRequest } from 'fastify';
import { type TSchema, Type } from 'typebox';
import { idempotencyErrors, parseIdempotencyKey } from '../../modules/idempotency/idempotency.errors.js';
import type { CommitOutcome } from '../../modules/idempotency/idempotency.service.js';
import type { Principal } from '../../modules/users/principal.js';
import type { SurfaceContext } from '../context.js';

/**
 * Runs a create or resend under its `Idempotency-Key` when the request carries one (SPEC §8): a retry
 * answers the stored status and body again with `Idempotent-Replayed: true`. The answer holds the
 * invitation link, so it is never cached (`Cache-Control: no-store`), replayed or not.
 */
export async function idempotently<T>(
  ctx: SurfaceContext,
  req: FastifyRequest,
  reply: FastifyReply,
  status: number,
  work: (principal: Principal, commit?: CommitOutcome<T>) => Promise<T>,
): Promise<T> {
  const header = req.headers['idempotency-key'];
  const key = header === undefined ? undefined : parseIdempotencyKey(String(header));
  if (header !== undefined && (key === undefined || Array.isArray(header)))
    throw idempotencyErrors.invalidKey();
  const principal = await ctx.authenticate(req);
  reply.header('cache-control', 'no-store');
  if (key === undefined) {
    const result = await work(principal);
    reply.code(status);
    return result;
  }
  const outcome = await ctx.idempotency.run<T>(
    {
      caller: principal.userId,
      method: req.method,
      path: req.url.split('?')[0] ?? req.url,
      key,
      body: req.body,
    },
    status,
    (commit) => work(principal, commit),
  );
  if (outcome.replayed) reply.header('idempotent-replayed', 'true');
  reply.code(outcome.status);
  return outcome.result;
}

/** The request header, documented (its value is checked by `idempotently`, answering 400 invalid_idempotency_key). */
export const IdempotencyHeaders = Type.Object({
  'idempotency-key': Type.Optional(
    Type.String({
      description:
        'Makes a retry safe (SPEC §8): 1-255 characters, bare or as a quoted string. The same key and body ' +
        'from the same caller answer the stored status and body again (`Idempotent-Replayed: true`) for 24 h; ' +
        'another body is 422 `idempotency_key_reused`; while the first request still runs, 409 ' +
        '`idempotency_key_in_use`. 400, 429 and 5xx answers are not stored.',
    }),
  ),
});

/** A success response that may be a replay: documents `Idempotent-Replayed` beside the body. */
export function replayable<T extends TSchema>(schema: T): T {
  return {
    ...schema,
    headers: {
      'idempotent-replayed': {
        type: 'string',
        enum: ['true'],
        description:
          'Present when this is the stored answer to an earlier request with the same Idempotency-Key.',
      },
      'cache-control': {
        type: 'string',
        enum: ['no-store'],
        description: 'The body holds the invitation link.',
      },
    },
  };
}
