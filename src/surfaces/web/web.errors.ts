import { AppError } from '../../errors.js';

// The pages surface's own failures (HTML through the error handler's friendly pages, src/http/html.ts).

export const webErrors = {
  /** a POST whose origin is another site, or whose form token does not match the session's */
  csrf: () =>
    new AppError(
      403,
      'csrf_failed',
      'This form was sent from another site or has expired. Go back to the invitation and try again.',
    ),
  signInNotConfigured: () =>
    new AppError(
      503,
      'sign_in_not_configured',
      'Sign-in is not configured on this server (AUTH_CLIENT_ID is not set). Ask its operator.',
    ),
  invalidReturnTo: () =>
    new AppError(400, 'invalid_return_to', 'return_to must be a path on this site, such as /invite/….'),
  signInFailed: () =>
    new AppError(
      400,
      'sign_in_failed',
      'Signing in did not complete (it was cancelled, took too long or came back altered). Go back to the invitation and sign in again.',
    ),
  noEmail: () =>
    new AppError(
      403,
      'email_unverified',
      'Your identity provider did not give a verified email address, so no invitation can be accepted with this account.',
    ),
  providerUnavailable: (cause: unknown) =>
    new AppError(
      503,
      'sign_in_unavailable',
      'The sign-in service did not answer. Try again in a moment.',
      { 'retry-after': '5' },
      { cause },
    ),
};
