import { randomInt, timingSafeEqual } from 'node:crypto';
import type { Db } from '../db/create-db.js';
import { inTransaction } from '../db/tx.js';
import { enqueueSignInCodeEmail } from '../modules/outbox/outbox.repository.js';
import { sealOutboxToken } from '../modules/outbox/sealed-token.js';
import { SIGN_IN_CODE_TTL_MS } from '../outbox/render-sign-in-code.js';
import type { Clock } from '../platform/clock.js';
import type { Sealer } from '../platform/crypto.js';
import { sha256Hex } from '../platform/crypto.js';
import { uuidv7 } from '../platform/ids.js';

// The emailed one-time code that proves an address at sign-in. One live code per interaction: 8
// digits, stored only as a SHA-256 hash (the 10-minute life and 5 tries bound guessing to 5 in 10^8),
// single use (deleted by the check that matches it), mailed through the outbox in the transaction
// that stores it. Successful sign-ins record subject → email (oauth_accounts), which the provider
// reads to answer an account's claims (builtinSubject is a one-way hash of the email).

export const MAX_TRIES = 5;
export { SIGN_IN_CODE_TTL_MS };

export type CodeCheck =
  | { ok: true; email: string }
  | { ok: false; reason: 'wrong' | 'expired' | 'exhausted' | 'none' };

/** 8 digits, uniformly random, with leading zeros. */
export function newCode(): string {
  return String(randomInt(0, 100_000_000)).padStart(8, '0');
}

export function createSignInStore(deps: { db: Db; clock: Clock; sealer: Sealer; publicUrl: string }) {
  const { db, clock } = deps;
  const k = db.kysely;
  const host = new URL(deps.publicUrl).host;

  return {
    /** Stores a new code for the interaction (replacing any earlier one) and queues its mail. */
    async issue(uid: string, email: string): Promise<void> {
      const now = clock.now();
      const code = newCode();
      const outboxId = uuidv7(now);
      await inTransaction(db, async (trx) => {
        await trx.deleteFrom('oauth_sign_in_codes').where('uid', '=', uid).execute();
        await trx
          .insertInto('oauth_sign_in_codes')
          .values({
            uid,
            email,
            code_hash: sha256Hex(code),
            attempts: 0,
            expires_at: now + SIGN_IN_CODE_TTL_MS,
            created_at: now,
          })
          .execute();
        await enqueueSignInCodeEmail(trx, {
          id: outboxId,
          recipient: email,
          sealedCode: sealOutboxToken(deps.sealer, outboxId, code),
          messageId: `<${outboxId}@${host}>`,
          now,
        });
      });
    },

    /** The address a live code was sent to for this interaction, if any. */
    async pendingEmail(uid: string): Promise<string | undefined> {
      const row = await k
        .selectFrom('oauth_sign_in_codes')
        .select('email')
        .where('uid', '=', uid)
        .where('expires_at', '>', clock.now())
        .where('attempts', '<', MAX_TRIES)
        .executeTakeFirst();
      return row?.email;
    },

    async forget(uid: string): Promise<void> {
      await k.deleteFrom('oauth_sign_in_codes').where('uid', '=', uid).execute();
    },

    /**
     * Checks a code. Each try is counted before the comparison (a conditional increment, so
     * concurrent tries cannot exceed MAX_TRIES); the matching try deletes the row, so a code works once.
     */
    async check(uid: string, presented: string): Promise<CodeCheck> {
      const now = clock.now();
      const digits = presented.replace(/\s+/g, '');
      const counted = await k
        .updateTable('oauth_sign_in_codes')
        .set((eb) => ({ attempts: eb('attempts', '+', 1) }))
        .where('uid', '=', uid)
        .where('attempts', '<', MAX_TRIES)
        .where('expires_at', '>', now)
        .returning(['email', 'code_hash', 'attempts'])
        .executeTakeFirst();
      if (!counted) {
        const row = await k
          .selectFrom('oauth_sign_in_codes')
          .select(['expires_at'])
          .where('uid', '=', uid)
          .executeTakeFirst();
        if (!row) return { ok: false, reason: 'none' };
        return { ok: false, reason: row.expires_at <= now ? 'expired' : 'exhausted' };
      }
      const match = timingSafeEqual(Buffer.from(sha256Hex(digits)), Buffer.from(counted.code_hash));
      if (!match) return { ok: false, reason: counted.attempts >= MAX_TRIES ? 'exhausted' : 'wrong' };
      const used = await k
        .deleteFrom('oauth_sign_in_codes')
        .where('uid', '=', uid)
        .where('code_hash', '=', counted.code_hash)
        .executeTakeFirst();
      // a concurrent try with the same code won the delete
      if (Number(used.numDeletedRows) === 0) return { ok: false, reason: 'none' };
      return { ok: true, email: counted.email };
    },

    /** Records subject → email for a signed-in account (the provider's findAccount reads it). */
    async remember(subject: string, email: string): Promise<void> {
      await k
        .insertInto('oauth_accounts')
        .values({ subject, email, created_at: clock.now() })
        .onConflict((oc) => oc.column('subject').doUpdateSet({ email }))
        .execute();
    },

    async accountEmail(subject: string): Promise<string | undefined> {
      const row = await k
        .selectFrom('oauth_accounts')
        .select('email')
        .where('subject', '=', subject)
        .executeTakeFirst();
      return row?.email;
    },
  };
}

export type SignInStore = ReturnType<typeof createSignInStore>;
