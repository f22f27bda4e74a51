import { createLocalJWKSet, type JSONWebKeySet, type JWTVerifyGetKey, errors as joseErrors } from 'jose';
import { commonErrors } from '../../errors.js';

// The external issuer's key set, kept through its outages. jose's createRemoteJWKSet measures its
// cooldown from the last *successful* fetch, so while the issuer is down every request with an
// unknown `kid` (anyone can send one) fetches again, and once its cache age passes even known keys
// fail with the issuer. Here every attempt, failed or not, starts the cooldown; concurrent callers
// share one fetch; and the last key set that loaded keeps verifying while a refresh fails.

export interface RemoteKeySet {
  getKey: JWTVerifyGetKey;
  /** whether `kid` is in the key set as last loaded */
  keyPublished(kid: string | undefined): boolean;
}

export function remoteKeySet(
  url: () => Promise<string>,
  opts: { cooldownMs: number; maxAgeMs: number; timeoutMs: number; now: () => number },
): RemoteKeySet {
  let local: ReturnType<typeof createLocalJWKSet> | undefined;
  let kids = new Set<string | undefined>();
  let loadedAt = Number.NEGATIVE_INFINITY;
  let triedAt = Number.NEGATIVE_INFINITY;
  let pending: Promise<void> | undefined;

  const fetchSet = async (): Promise<void> => {
    const res = await fetch(await url(), {
      headers: { accept: 'application/json, application/jwk-set+json' },
      signal: AbortSignal.timeout(opts.timeoutMs),
    });
    if (!res.ok) throw new Error(`the key set answered ${res.status}`);
    const set = (await res.json()) as JSONWebKeySet;
    const next = createLocalJWKSet(set); // throws on a malformed set: the old one stays
    local = next;
    kids = new Set(set.keys.map((k) => k.kid));
    loadedAt = opts.now();
  };

  /** Fetches unless one is running (then waits for it) or the last attempt is within the cooldown. */
  const refresh = (): Promise<void> => {
    if (pending) return pending;
    if (opts.now() - triedAt < opts.cooldownMs) return Promise.resolve();
    triedAt = opts.now();
    pending = fetchSet().finally(() => {
      pending = undefined;
    });
    return pending;
  };

  return {
    keyPublished: (kid) => kids.has(kid),
    async getKey(header, input) {
      if (!local) {
        // nothing loaded yet: a failure is an outage of the issuer, not a verdict on the token
        await refresh().catch((err: unknown) => {
          throw commonErrors.unavailable(err);
        });
        if (!local) throw commonErrors.unavailable(new Error('the key set has not loaded yet'));
      } else if (opts.now() - loadedAt > opts.maxAgeMs) {
        // stale: refreshed in the background, the keys in hand keep verifying meanwhile
        refresh().catch(() => undefined);
      }
      try {
        return await local(header, input);
      } catch (err) {
        if (!(err instanceof joseErrors.JWKSNoMatchingKey)) throw err;
        await refresh().catch(() => undefined);
        return local(header, input);
      }
    },
  };
}
