import type { Kysely } from 'kysely';
import type { Adapter, AdapterPayload } from 'oidc-provider';
import type { Database } from '../db/schema.js';

// oidc-provider's storage: every model (Session, Interaction, AuthorizationCode, RefreshToken, Grant,
// …) is one row of `oauth_payloads` keyed by (model, id), with the few fields the provider looks
// rows up by (grantId, userCode, uid) in columns of their own. Times come from the service clock.
// Expired rows are never answered, and are deleted here (at most once per SWEEP_INTERVAL_MS per
// process, on a write) until the events issue's retention sweep takes the job over.

export const SWEEP_INTERVAL_MS = 60_000;

/**
 * Whether a value taken from a request could name a stored row: PostgreSQL refuses text holding
 * U+0000 (an error, so a 500), and no id, uid or code the provider makes holds one, so a lookup by
 * such a value finds nothing without asking.
 */
export const mayBeStored = (value: string): boolean => !value.includes('\u0000');

export interface AdapterDeps {
  db: Kysely<Database>;
  now: () => number;
  /** models answered from elsewhere (the Client model reads the clients table) */
  override?: (model: string) => Adapter | undefined;
}

export function kyselyAdapterFactory(deps: AdapterDeps): (model: string) => Adapter {
  const { db, now } = deps;
  let nextSweep = 0;

  async function sweep(): Promise<void> {
    const t = now();
    if (t < nextSweep) return;
    nextSweep = t + SWEEP_INTERVAL_MS;
    await db.deleteFrom('oauth_payloads').where('expires_at', '<=', t).execute();
    await db.deleteFrom('oauth_sign_in_codes').where('expires_at', '<=', t).execute();
  }

  function live(model: string) {
    return db
      .selectFrom('oauth_payloads')
      .select(['payload', 'consumed_at'])
      .where('model', '=', model)
      .where((eb) => eb.or([eb('expires_at', 'is', null), eb('expires_at', '>', now())]));
  }

  function answer(row: { payload: string; consumed_at: number | null } | undefined) {
    if (!row) return undefined;
    const payload = JSON.parse(row.payload) as AdapterPayload;
    if (row.consumed_at !== null) payload.consumed = Math.floor(row.consumed_at / 1000);
    return payload;
  }

  return (model) => {
    const other = deps.override?.(model);
    if (other) return other;
    return {
      async upsert(id, payload, expiresIn) {
        const row = {
          model,
          id,
          payload: JSON.stringify(payload),
          grant_id: payload.grantId ?? null,
          user_code: payload.userCode ?? null,
          uid: payload.uid ?? null,
          expires_at: expiresIn ? now() + expiresIn * 1000 : null,
          consumed_at: null,
        };
        await db
          .insertInto('oauth_payloads')
          .values(row)
          .onConflict((oc) =>
            oc.columns(['model', 'id']).doUpdateSet({
              payload: row.payload,
              grant_id: row.grant_id,
              user_code: row.user_code,
              uid: row.uid,
              expires_at: row.expires_at,
            }),
          )
          .execute();
        await sweep();
      },
      async find(id) {
        if (!mayBeStored(id)) return undefined;
        return answer(await live(model).where('id', '=', id).executeTakeFirst());
      },
      async findByUid(uid) {
        if (!mayBeStored(uid)) return undefined;
        return answer(await live(model).where('uid', '=', uid).executeTakeFirst());
      },
      async findByUserCode(userCode) {
        if (!mayBeStored(userCode)) return undefined;
        return answer(await live(model).where('user_code', '=', userCode).executeTakeFirst());
      },
      async consume(id) {
        if (!mayBeStored(id)) return;
        await db
          .updateTable('oauth_payloads')
          .set({ consumed_at: now() })
          .where('model', '=', model)
          .where('id', '=', id)
          .where('consumed_at', 'is', null)
          .execute();
      },
      async destroy(id) {
        if (!mayBeStored(id)) return;
        await db.deleteFrom('oauth_payloads').where('model', '=', model).where('id', '=', id).execute();
      },
      async revokeByGrantId(grantId) {
        if (!mayBeStored(grantId)) return;
        await db
          .deleteFrom('oauth_payloads')
          .where('model', '=', model)
          .where('grant_id', '=', grantId)
          .execute();
      },
    };
  };
}
