import type { Config } from '../config.js';
import {
  activationDelayMs,
  createKey,
  type KeyStatus,
  loadKeys,
  timeline,
} from '../platform/auth/signing-keys.js';
import { openCore, openIssuer } from '../runtime.js';

// `admit keys rotate|list`: the built-in issuer's signing keys. `rotate` adds a key that every process
// publishes within one SIGNING_KEYS_REFRESH and that signs two of them after now; the key it replaces
// keeps verifying its tokens until it retires, 31 days after the new one starts signing. Both print
// JSON (one object; an array, newest first), with times in ISO 8601 UTC.

export const KEYS_USAGE = `  admit keys rotate                               add a signing key: published now, signing after two
                                                  SIGNING_KEYS_REFRESH intervals; the old key retires 31 days later
  admit keys list                                 the signing keys: kid, created, activates, retires, state (JSON)`;

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

function view(k: KeyStatus) {
  return {
    kid: k.key.kid,
    state: k.state,
    created_at: iso(k.key.createdAt),
    activates_at: iso(k.key.activatesAt),
    retires_at: iso(k.retiresAt),
  };
}

export async function runKeys(config: Config, argv: string[]): Promise<number> {
  const [sub, ...rest] = argv;
  const usage = (message: string) => {
    process.stderr.write(`admit keys: ${message}\nusage:\n${KEYS_USAGE}\n`);
    return 2;
  };
  if (config.auth.mode !== 'builtin')
    return usage('only in built-in mode (AUTH_ISSUER is set; your issuer keeps the keys)');
  if (sub !== 'rotate' && sub !== 'list')
    return usage(sub ? `unknown command ${JSON.stringify(sub)}` : 'a command is required');
  if (rest.length > 0) return usage(`${sub} takes no arguments`);

  const core = await openCore({ ...config, logLevel: 'silent' });
  try {
    // opening the issuer creates the first key on an empty database, and fails when ADMIT_SECRET cannot
    // unseal the signing key: a key sealed under another secret would sign in no other process
    const issuer = await openIssuer(core);
    const now = core.clock.now();
    if (sub === 'rotate') {
      const key = await createKey(core.db.kysely, core.sealer, {
        now,
        activatesAt: now + activationDelayMs(config.timings.signingKeysRefreshMs),
      });
      const added = timeline(await loadKeys(core.db.kysely), now).keys.find((k) => k.key.kid === key.kid);
      if (!added) throw new Error('the new key was not stored');
      const replaced = issuer.current().signingKid;
      process.stdout.write(`${JSON.stringify({ ...view(added), replaces: replaced })}\n`);
      return 0;
    }
    const keys = timeline(await loadKeys(core.db.kysely), now)
      .keys.reverse()
      .map(view);
    process.stdout.write(`${JSON.stringify(keys, null, 2)}\n`);
    return 0;
  } finally {
    await core.close();
  }
}
