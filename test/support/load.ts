import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { type Agent, request } from 'node:http';
import type { Kysely } from 'kysely';
import type { Database } from '../../src/db/schema.js';
import { tokenOf } from './fixtures.js';

// Mixed write traffic against a server in a child process (RELIABILITY-PLAN §3.E), and the journal of
// what it acknowledged. Every 2xx answer is written into the journal before the next request on that
// invitation, so after a crash the journal says exactly what the server promised; the database must
// hold all of it (invariant 6). An invitation whose request got no answer, or a 5xx (a commit whose
// acknowledgement was lost looks the same), is marked uncertain: it must exist, its state is open.

export type Answer = { status: number; headers: Record<string, string | string[] | undefined>; body: string };
export type Outcome = Answer | { error: string };

/** One HTTP request over the given agent; never throws (a transport failure is an outcome). */
export function send(
  agent: Agent,
  base: string,
  method: string,
  path: string,
  opts: { token?: string; body?: unknown; timeoutMs?: number } = {},
): Promise<Outcome> {
  const url = new URL(path, base);
  const payload = opts.body === undefined ? undefined : JSON.stringify(opts.body);
  return new Promise((resolve) => {
    const req = request(
      url,
      {
        method,
        agent,
        headers: {
          ...(opts.token ? { authorization: `Bearer ${opts.token}` } : {}),
          ...(payload
            ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) }
            : {}),
        },
        timeout: opts.timeoutMs ?? 15_000,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: Buffer.concat(chunks).toString(),
          }),
        );
        res.on('error', (err) => resolve({ error: (err as NodeJS.ErrnoException).code ?? err.message }));
      },
    );
    req.on('timeout', () => req.destroy(new Error('client timeout')));
    req.on('error', (err) => resolve({ error: (err as NodeJS.ErrnoException).code ?? err.message }));
    req.end(payload);
  });
}

export const isAnswer = (o: Outcome): o is Answer => 'status' in o;

export type Op = 'create' | 'accept' | 'decline' | 'revoke' | 'resend';
type State = 'pending' | 'accepted' | 'declined' | 'revoked';

export interface Entry {
  id: string;
  orgId: string;
  email: string;
  /** the token of the last acknowledged create or resend */
  token: string;
  state: State;
  /** a request on it got no definite answer: it must exist, its state is open */
  uncertain: boolean;
  busy: boolean;
}

export interface Tally {
  requests: number;
  acknowledged: number;
  /** status → count, and transport errors by code */
  statuses: Map<string, number>;
}

export class Journal {
  readonly entries = new Map<string, Entry>();
  readonly tally: Tally = { requests: 0, acknowledged: 0, statuses: new Map() };
  /** creates answered with an error or no answer, by email: if stored, they must be uncertain ones */
  readonly unanswered = new Set<string>();

  count(o: Outcome): void {
    this.tally.requests++;
    const key = isAnswer(o) ? String(o.status) : o.error;
    this.tally.statuses.set(key, (this.tally.statuses.get(key) ?? 0) + 1);
    if (isAnswer(o) && o.status >= 200 && o.status < 300) this.tally.acknowledged++;
  }

  summary(): string {
    return [...this.tally.statuses].map(([k, n]) => `${k}:${n}`).join(' ');
  }

  pickIdle(): Entry | undefined {
    const idle = [...this.entries.values()].filter((e) => e.state === 'pending' && !e.busy && !e.uncertain);
    return idle[Math.floor(Math.random() * idle.length)];
  }
}

export interface LoadTarget {
  agent: Agent;
  base: string;
  orgId: string;
  ownerToken: string;
  /** a verified bearer token for the invitee */
  tokenFor(email: string): Promise<string>;
}

const OPS: [Op, number][] = [
  ['create', 0.4],
  ['accept', 0.2],
  ['decline', 0.1],
  ['revoke', 0.15],
  ['resend', 0.15],
];

function pickOp(): Op {
  let r = Math.random();
  for (const [op, p] of OPS) {
    r -= p;
    if (r < 0) return op;
  }
  return 'create';
}

/** One request of the mix; the journal is updated from its answer. */
export async function step(t: LoadTarget, journal: Journal, wanted: Op = pickOp()): Promise<Outcome> {
  const entry = wanted === 'create' ? undefined : journal.pickIdle();
  if (!entry) {
    const email = `p-${randomBytes(6).toString('hex')}@example.com`;
    const o = await send(t.agent, t.base, 'POST', `/v1/organizations/${t.orgId}/invitations`, {
      token: t.ownerToken,
      body: { email, role: 'member' },
    });
    journal.count(o);
    if (isAnswer(o) && o.status === 201) {
      const b = JSON.parse(o.body) as { id: string; url: string };
      journal.entries.set(b.id, {
        id: b.id,
        orgId: t.orgId,
        email,
        token: tokenOf(b.url),
        state: 'pending',
        uncertain: false,
        busy: false,
      });
    } else {
      journal.unanswered.add(email);
    }
    return o;
  }
  entry.busy = true;
  try {
    let o: Outcome;
    const inv = `/v1/organizations/${entry.orgId}/invitations/${entry.id}`;
    if (wanted === 'accept' || wanted === 'decline') {
      o = await send(t.agent, t.base, 'POST', `/api/v1/invitations/${entry.token}/${wanted}`, {
        token: await t.tokenFor(entry.email),
      });
    } else if (wanted === 'revoke') {
      o = await send(t.agent, t.base, 'DELETE', inv, { token: t.ownerToken });
    } else {
      o = await send(t.agent, t.base, 'POST', `${inv}/resend`, { token: t.ownerToken, body: {} });
    }
    journal.count(o);
    if (!isAnswer(o) || o.status >= 500) entry.uncertain = true;
    else if (o.status >= 200 && o.status < 300) {
      if (wanted === 'accept') entry.state = 'accepted';
      else if (wanted === 'decline') entry.state = 'declined';
      else if (wanted === 'revoke') entry.state = 'revoked';
      else entry.token = tokenOf((JSON.parse(o.body) as { url: string }).url);
    } else {
      assert.fail(`${wanted} of a pending invitation answered ${o.status}: ${o.body}`);
    }
    return o;
  } finally {
    entry.busy = false;
  }
}

/**
 * Runs `concurrency` loops of step() until stop() says so or maxRequests were sent. Transport errors
 * do not stop it: the caller decides when the fault is over.
 */
export async function drive(
  t: LoadTarget,
  journal: Journal,
  opts: { concurrency: number; stop: () => boolean; maxRequests: number; onAnswer?: (o: Outcome) => void },
): Promise<void> {
  let sent = 0;
  const loop = async () => {
    while (!opts.stop() && sent < opts.maxRequests) {
      sent++;
      const o = await step(t, journal);
      opts.onAnswer?.(o);
      // a refused connection answers at once: do not spin on it
      if (!isAnswer(o)) await new Promise((r) => setTimeout(r, 20));
    }
  };
  await Promise.all(Array.from({ length: opts.concurrency }, loop));
}

const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');

/**
 * Invariant 6: every acknowledged write is in the database with its acknowledged state. Returns how
 * many invitations were checked with their full state (uncertain ones only for existence).
 */
export async function checkJournal(
  db: Kysely<Database>,
  journal: Journal,
): Promise<{ exact: number; existing: number }> {
  const ids = [...journal.entries.keys()];
  const rows = new Map<string, { id: string; email: string; status: string; token_hash: string }>();
  for (let i = 0; i < ids.length; i += 500) {
    const chunk = await db
      .selectFrom('invitations')
      .select(['id', 'email', 'status', 'token_hash'])
      .where('id', 'in', ids.slice(i, i + 500))
      .execute();
    for (const r of chunk) rows.set(r.id, r);
  }
  const sourced = new Set(
    (await db.selectFrom('memberships').select('source_invitation_id').execute()).map(
      (m) => m.source_invitation_id,
    ),
  );
  let exact = 0;
  for (const e of journal.entries.values()) {
    const row = rows.get(e.id);
    assert.ok(row, `acknowledged invitation ${e.id} (${e.email}) is missing`);
    assert.equal(row.email, e.email);
    if (e.uncertain) continue;
    exact++;
    assert.equal(row.status, e.state, `invitation ${e.id}: acknowledged ${e.state}, stored ${row.status}`);
    if (e.state === 'pending')
      assert.equal(row.token_hash, sha256(e.token), `invitation ${e.id}: the last acknowledged token`);
    if (e.state === 'accepted') assert.ok(sourced.has(e.id), `accepted invitation ${e.id} has no membership`);
  }
  return { exact, existing: journal.entries.size };
}
