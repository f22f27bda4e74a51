import { lookup as dnsLookup } from 'node:dns/promises';
import http from 'node:http';
import https from 'node:https';
import type { LookupFunction } from 'node:net';
import { isIP } from 'node:net';
import type { Db } from '../db/create-db.js';
import { findEventPayload } from '../modules/events/events.repository.js';
import type { ClaimedRow, Settlement } from '../modules/outbox/outbox.repository.js';
import { sealContext } from '../modules/webhooks/sealing.js';
import { checkWebhookUrl, pickAddress } from '../modules/webhooks/ssrf.policy.js';
import {
  disableWebhook,
  findWebhookById,
  recordWebhookHealth,
} from '../modules/webhooks/webhooks.repository.js';
import type { Clock } from '../platform/clock.js';
import type { Sealer } from '../platform/crypto.js';
import { signWebhook } from '../platform/webhook-signature.js';

// The webhook channel of the dispatcher (beside message.ts, the mail's): what a claimed outbox row of
// kind `webhook` becomes. One attempt = load the endpoint and the event, check the URL and the
// addresses its name resolves to (SSRF, see ssrf.policy.ts), POST the Standard Webhooks message to
// the checked address (no redirects: node:http follows none), settle by the answer. Any 2xx is
// delivered; anything else is retried with the dispatcher's backoff, until the endpoint has failed
// for FAILING_DISABLE_MS without a success: then it is disabled, and says why.

export const FAILING_DISABLE_MS = 3 * 86_400_000;
const USER_AGENT = 'Admit-Webhooks/1';

export type Address = { address: string; family: number };
/** DNS, injectable so tests can make a public-looking name resolve to a private address. */
export type Resolve = (host: string) => Promise<Address[]>;

export const systemResolve: Resolve = (host) => dnsLookup(host, { all: true, verbatim: true });

export interface WebhookChannelDeps {
  db: Db;
  clock: Clock;
  sealer: Sealer;
  allowedHosts: readonly string[];
  timeoutMs: number;
  resolve?: Resolve | undefined;
  logger: { warn(obj: object, msg: string): void };
}

type Answer = { statusCode: number } | { error: string };

export function webhookChannel(deps: WebhookChannelDeps) {
  const { db, clock, sealer } = deps;
  const resolve = deps.resolve ?? systemResolve;

  async function attempt(url: string, headers: Record<string, string>, body: string): Promise<Answer> {
    const verdict = checkWebhookUrl(url, deps.allowedHosts);
    if (!verdict.ok) return { error: 'url_not_allowed' };
    const host = verdict.url.hostname.replace(/^\[|\]$/g, '');
    let addresses: Address[];
    try {
      addresses = isIP(host) ? [{ address: host, family: isIP(host) }] : await resolve(host);
    } catch {
      return { error: 'dns' };
    }
    const address = pickAddress(verdict, addresses);
    if (!address) return { error: 'address_not_allowed' };
    return post(verdict.url, address, headers, body, deps.timeoutMs);
  }

  /** After a failed attempt: start (or continue) the failing run; after 3 days, disable the endpoint. */
  async function failing(webhookId: string, since: number | null, now: number): Promise<boolean> {
    if (since !== null && now - since >= FAILING_DISABLE_MS) {
      await disableWebhook(db.kysely, webhookId, 'every delivery failed for 3 days', now);
      deps.logger.warn({ webhookId }, 'webhook disabled: failing for 3 days');
      return true;
    }
    if (since === null) await recordWebhookHealth(db.kysely, webhookId, false, now);
    return false;
  }

  return async function deliver(row: ClaimedRow, retryAt: () => number): Promise<Settlement> {
    if (!row.webhook_id || !row.event_id) return { status: 'failed', error: 'not_a_webhook' };
    const hook = await findWebhookById(db.kysely, row.webhook_id);
    if (!hook) return { status: 'cancelled' };
    if (hook.enabled !== 1) return { status: 'failed', error: 'webhook_disabled' };
    const event = await findEventPayload(db.kysely, row.event_id);
    if (!event) return { status: 'failed', error: 'event_gone' };
    const now = clock.now();
    const secrets = [hook.secret_sealed];
    if (hook.previous_secret_sealed && (hook.previous_secret_until ?? 0) > now)
      secrets.push(hook.previous_secret_sealed);
    const opened = secrets.map((s) => sealer.open(s, sealContext(hook.id)));
    if (opened[0] === undefined) return { status: 'failed', error: 'unsealable_secret' };
    const record = JSON.parse(event.payload) as { type: string; occurredAt: string };
    const body = JSON.stringify({ type: record.type, timestamp: record.occurredAt, data: record });
    const timestamp = Math.floor(now / 1000);
    const answer = await attempt(
      hook.url,
      {
        'content-type': 'application/json',
        'user-agent': USER_AGENT,
        'webhook-id': row.event_id,
        'webhook-timestamp': String(timestamp),
        'webhook-signature': signWebhook(
          opened.filter((s): s is string => s !== undefined),
          row.event_id,
          timestamp,
          body,
        ),
      },
      body,
    );
    const statusCode = 'statusCode' in answer ? answer.statusCode : undefined;
    if (statusCode !== undefined && statusCode >= 200 && statusCode < 300) {
      if (hook.failing_since !== null) await recordWebhookHealth(db.kysely, hook.id, true, now);
      return { status: 'sent', statusCode };
    }
    const error = 'error' in answer ? answer.error : `http_${answer.statusCode}`;
    const code = statusCode !== undefined ? { statusCode } : {};
    if (await failing(hook.id, hook.failing_since, now)) return { status: 'failed', error, ...code };
    return { status: 'retrying', nextAttemptAt: retryAt(), error, ...code };
  };
}

/** One POST to the checked address (the name still names the TLS server and the Host header). */
function post(url: URL, address: Address, headers: Record<string, string>, body: string, timeoutMs: number) {
  const lookup: LookupFunction = (_host, options, callback) => {
    if (options.all) callback(null, [address]);
    else callback(null, address.address, address.family);
  };
  const client = url.protocol === 'https:' ? https : http;
  return new Promise<Answer>((resolve) => {
    const req = client.request(url, {
      method: 'POST',
      headers: { ...headers, 'content-length': String(Buffer.byteLength(body)) },
      lookup,
      agent: false,
      signal: AbortSignal.timeout(timeoutMs),
    });
    req.on('response', (res) => {
      res.resume();
      resolve({ statusCode: res.statusCode ?? 0 });
    });
    req.on('error', (err) => resolve({ error: errorClass(err) }));
    req.end(body);
  });
}

function errorClass(err: Error & { code?: string }): string {
  const code = err.code ?? '';
  if (err.name === 'AbortError' || err.name === 'TimeoutError' || code === 'ABORT_ERR') return 'timeout';
  if (code === 'ECONNREFUSED') return 'connection_refused';
  if (code === 'ECONNRESET' || code === 'EPIPE') return 'connection_reset';
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return 'dns';
  if (code.startsWith('ERR_TLS') || code.includes('CERT') || code.includes('SSL')) return 'tls';
  return 'network';
}
