import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { isDatabaseUnavailable } from '../db/errors.js';
import { AppError, commonErrors } from '../errors.js';
import { UUID_PATTERN } from '../platform/ids.js';
import { errorPage, HTML_HEADERS } from './html.js';
import { type ErrorStyle, statusText } from './schemas.js';

/** Which error style a path answers in: /api/v1 the envelope, /invite and /auth HTML, everything else problem+json. */
export function errorStyleOf(url: string): ErrorStyle | 'html' {
  if (url.startsWith('/api/v1/') || url === '/api/v1') return 'envelope';
  if (url.startsWith('/invite/') || url === '/invite' || url.startsWith('/auth/')) return 'html';
  return 'problem';
}

const FASTIFY_CODES: Record<string, (e: FastifyError) => AppError> = {
  FST_ERR_CTP_INVALID_MEDIA_TYPE: () =>
    new AppError(415, 'unsupported_media_type', 'This endpoint takes application/json bodies.'),
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: () =>
    new AppError(400, 'invalid_content_length', 'Content-Length does not match the body.'),
  FST_ERR_CTP_BODY_TOO_LARGE: () => new AppError(413, 'payload_too_large', 'The body is larger than 64 KiB.'),
  FST_ERR_CTP_EMPTY_JSON_BODY: () =>
    new AppError(400, 'malformed_json', 'The body is empty but declared as JSON.'),
  FST_ERR_CTP_INVALID_JSON_BODY: () => new AppError(400, 'malformed_json', 'The body is not valid JSON.'),
  FST_ERR_CTP_INVALID_TYPE: () =>
    new AppError(400, 'invalid_content_type', 'The Content-Type header is malformed.'),
};

/** Turns anything thrown into an AppError; the cause of a 500 is logged, never sent. */
export function toAppError(err: unknown): AppError {
  if (err instanceof AppError) return err;
  const fe = err as FastifyError;
  if (fe && typeof fe === 'object') {
    if (fe.validation) {
      const where = fe.validationContext ?? 'request';
      const first = fe.validation[0];
      // An email holding U+0000 is refused as the bad address it is, like any other control character.
      if (first?.keyword === 'nul' && /\/email$/.test(first.instancePath ?? '')) {
        return commonErrors.invalidEmail('contains whitespace or control characters');
      }
      const path = first?.instancePath ? `${where}${first.instancePath.replace(/\//g, '.')}` : where;
      const isUuid =
        first && (first.params as { pattern?: string; format?: string }).pattern === UUID_PATTERN;
      const detail = first
        ? isUuid
          ? `${path} must be a UUID`
          : first.keyword === 'additionalProperties'
            ? `${path} has an unknown field ${JSON.stringify((first.params as { additionalProperty?: string }).additionalProperty)}`
            : `${path} ${first.message ?? 'is invalid'}`
        : fe.message;
      return new AppError(400, 'validation_failed', detail);
    }
    const mapped = fe.code ? FASTIFY_CODES[fe.code] : undefined;
    if (mapped) return mapped(fe);
    if (fe instanceof SyntaxError || (fe as { type?: string }).type === 'entity.parse.failed') {
      return new AppError(400, 'malformed_json', 'The body is not valid JSON.');
    }
    if (typeof fe.statusCode === 'number' && fe.statusCode >= 400 && fe.statusCode < 500) {
      return new AppError(fe.statusCode, 'bad_request', fe.message);
    }
  }
  if (isDatabaseUnavailable(err)) return commonErrors.unavailable(err);
  return new AppError(500, 'internal_error', 'Something went wrong on our side.', {}, { cause: err });
}

/** Errors Fastify raises before routing (bad URL encoding, over-long path parameter), in our error styles. */
export function frameworkError(err: FastifyError, url: string): AppError {
  // a token segment that cannot even be routed is still "a token that matches nothing": the same 404
  if (/^\/(api\/v1\/invitations|invite)\/[^/?#]/.test(url)) return commonErrors.notFound('invitation');
  // every other path parameter is a uuid: one over 200 characters is a malformed uuid (SPEC §5: 400),
  // answered like a shorter malformed one, and a status every operation documents
  if (err.code === 'FST_ERR_MAX_PARAM_LENGTH')
    return new AppError(400, 'validation_failed', 'A path segment is too long to be an id.');
  return new AppError(400, 'bad_url', 'The URL is not validly encoded.');
}

export function sendError(request: FastifyRequest, reply: FastifyReply, e: AppError) {
  reply.code(e.status).headers(e.headers);
  const style = errorStyleOf(request.url);
  if (style === 'envelope') {
    return reply
      .type('application/json; charset=utf-8')
      .send({ success: false, error: { code: e.code, message: e.message }, message: e.message });
  }
  if (style === 'html') {
    return reply.headers(HTML_HEADERS).send(errorPage(e, statusText(e.status)));
  }
  return reply.type('application/problem+json; charset=utf-8').send({
    type: `urn:admit:error:${e.code}`,
    title: statusText(e.status),
    status: e.status,
    code: e.code,
    detail: e.message,
  });
}

export function installErrorHandling(app: FastifyInstance): void {
  app.setErrorHandler((err, request, reply) => {
    const e = toAppError(err);
    if (e.code === 'shutting_down') request.log.debug('refused: shutting down');
    else if (e.status === 503) request.log.warn({ err: e.cause }, 'service unavailable');
    else if (e.status >= 500) request.log.error({ err: e.cause ?? err }, 'request failed');
    return sendError(request, reply, e);
  });
  app.setNotFoundHandler((request, reply) => sendError(request, reply, commonErrors.routeNotFound()));
}
