import { createCipheriv, createDecipheriv, hash, hkdfSync } from 'node:crypto';
import { randomBytes } from './random.js';

// Invitation tokens: `inv_` + 32 random bytes (256 bits) in base64url. Only the SHA-256 hex digest
// is stored; the plain token exists in the create/resend response, the sealed outbox payload and
// the email.
const TOKEN_PREFIX = 'inv_';
const TOKEN_SHAPE = /^inv_[A-Za-z0-9_-]{43}$/;

export function newInvitationToken(): string {
  return TOKEN_PREFIX + randomBytes(32).toString('base64url');
}

/** Is this string shaped like a token we issue? (Shape only; never an oracle for existence.) */
export function looksLikeInvitationToken(text: string): boolean {
  return TOKEN_SHAPE.test(text);
}

/** One-shot `crypto.hash`: no Hash object per call (a third of the cost of createHash on a token). */
export function sha256Hex(text: string): string {
  return hash('sha256', text, 'hex');
}

/** Seals secrets kept at rest (outbox tokens, idempotent replays, signing keys): AES-256-GCM. */
export interface Sealer {
  seal(plain: string, context: string): string;
  /** undefined when the box was not sealed under this key and context */
  open(sealed: string, context: string): string | undefined;
}

const GCM_TAG_BYTES = 16;

export function createSealer(secret: string): Sealer {
  const key = Buffer.from(hkdfSync('sha256', secret, 'admit', 'admit seal v1', 32));
  return {
    seal(plain, context) {
      const iv = randomBytes(12);
      const cipher = createCipheriv('aes-256-gcm', key, iv);
      cipher.setAAD(Buffer.from(context));
      const body = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
      return [
        'v1',
        iv.toString('base64url'),
        body.toString('base64url'),
        cipher.getAuthTag().toString('base64url'),
      ].join('.');
    },
    open(sealed, context) {
      const [version, iv, body, tag] = sealed.split('.');
      if (version !== 'v1' || !iv || body === undefined || !tag) return undefined;
      const tagBytes = Buffer.from(tag, 'base64url');
      // the tag length is pinned: Node would otherwise accept a truncated (down to 4-byte) tag,
      // which lowers a forger's work from 2^128 to 2^32
      if (tagBytes.length !== GCM_TAG_BYTES) return undefined;
      try {
        const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(iv, 'base64url'), {
          authTagLength: GCM_TAG_BYTES,
        });
        decipher.setAAD(Buffer.from(context));
        decipher.setAuthTag(tagBytes);
        return Buffer.concat([decipher.update(Buffer.from(body, 'base64url')), decipher.final()]).toString(
          'utf8',
        );
      } catch {
        return undefined;
      }
    },
  };
}
