// Errors are data: one AppError with a stable snake_case `code` (public API: never renamed), an HTTP
// status, a client-safe message, optional headers, and an internal cause that is logged, never sent.
// Each module keeps a catalogue of factories; one Fastify error handler renders them in each surface's error style.

export class AppError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly headers: Record<string, string> = {},
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'AppError';
  }
}

export const commonErrors = {
  unauthorized: (message = 'A valid bearer token is required.') =>
    new AppError(401, 'unauthorized', message, { 'www-authenticate': 'Bearer' }),
  invalidToken: (why: string) =>
    new AppError(401, 'invalid_token', 'The bearer token is invalid or expired.', {
      'www-authenticate': `Bearer error="invalid_token", error_description="${why.replace(/["\\\r\n]/g, '')}"`,
    }),
  forbidden: (permission: string) =>
    new AppError(403, 'forbidden', `This needs the ${permission} permission in the organization.`),
  notFound: (what: string) =>
    new AppError(404, `${what}_not_found`, `The ${what.replace(/_/g, ' ')} was not found.`),
  routeNotFound: () => new AppError(404, 'not_found', 'No such endpoint.'),
  validation: (message: string) => new AppError(400, 'validation_failed', message),
  invalidEmail: (reason: string) =>
    new AppError(400, 'invalid_email', `The email address is not valid: ${reason}.`),
  invalidCursor: () => new AppError(400, 'invalid_cursor', 'The cursor is malformed.'),
  emailUnverified: () =>
    new AppError(403, 'email_unverified', 'Your identity provider has not verified your email address.'),
  unavailable: (cause?: unknown) =>
    new AppError(
      503,
      'service_unavailable',
      'The service is temporarily unavailable; try again shortly.',
      {
        'retry-after': '1',
      },
      { cause },
    ),
  /** a request that arrives while the server drains (SIGTERM): another instance, or this one restarted, takes it */
  shuttingDown: () =>
    new AppError(503, 'shutting_down', 'The server is shutting down; try again shortly.', {
      'retry-after': '1',
    }),
  rateLimited: (retryAfterSeconds: number, code = 'rate_limited', message = 'Too many requests.') =>
    new AppError(429, code, message, { 'retry-after': String(Math.max(1, Math.ceil(retryAfterSeconds))) }),
};
