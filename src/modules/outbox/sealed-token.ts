import type { Sealer } from '../../platform/crypto.js';

// The mail needs the plain token, which the database never holds in clear: an outbox row keeps it
// sealed under ADMIT_SECRET, bound to the row's own id (a box copied into another row does not open).
// Sealed by the services that enqueue, opened by the dispatcher: both through here, so the context
// cannot drift apart.

const context = (outboxId: string) => `outbox:${outboxId}`;

export function sealOutboxToken(sealer: Sealer, outboxId: string, token: string): string {
  return sealer.seal(token, context(outboxId));
}

/** undefined when the box was sealed under another secret or row, or tampered with */
export function openOutboxToken(sealer: Sealer, outboxId: string, sealed: string): string | undefined {
  return sealer.open(sealed, context(outboxId));
}
