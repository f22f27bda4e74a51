import { AppError } from '../../errors.js';

export const idempotencyErrors = {
  invalidKey: () =>
    new AppError(
      400,
      'invalid_idempotency_key',
      'Idempotency-Key must be 1 to 255 characters, bare or as a quoted string.',
    ),
  reused: () =>
    new AppError(
      422,
      'idempotency_key_reused',
      'This Idempotency-Key was used with a different request body.',
    ),
  inUse: () =>
    new AppError(
      409,
      'idempotency_key_in_use',
      'A request with this Idempotency-Key is still being processed; retry shortly.',
      { 'retry-after': '1' },
    ),
};

/**
 * The Idempotency-Key header's value: a bare token or an RFC 8941 string ("…", with \" and \\
 * escapes), 1–255 printable ASCII characters once unquoted. undefined when it is neither.
 */
export function parseIdempotencyKey(header: string): string | undefined {
  const raw = header.trim();
  let key = raw;
  if (raw.startsWith('"')) {
    const m = /^"((?:[\x20-\x21\x23-\x5b\x5d-\x7e]|\\["\\])*)"$/.exec(raw);
    if (!m?.[1]) return undefined;
    key = m[1].replace(/\\(["\\])/g, '$1');
  } else if (!/^[\x21-\x7e]+$/.test(raw) || raw.includes('"')) {
    return undefined;
  }
  return key.length >= 1 && key.length <= 255 ? key : undefined;
}
