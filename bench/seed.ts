// The shared seed, through the service's HTTP API: the owner's organizations, and three pending
// invitations (main, side A, side B) for each invitee. What one scenario alone needs is its own seed
// (bench/scenarios/).
import type { Runtime } from '../src/runtime.js';
import { afterBulk, bulkInvitations } from './bulk.js';
import type { Target } from './measure.js';
import type { BenchOptions } from './options.js';
import type { World } from './scenario.js';

export class Api {
  constructor(readonly base: string) {}
  async call<T>(
    method: string,
    path: string,
    token: string,
    body?: unknown,
  ): Promise<{ status: number; json: T }> {
    const res = await fetch(this.base + path, {
      method,
      headers: {
        authorization: `Bearer ${token}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, json: (text ? JSON.parse(text) : null) as T };
  }
  async expect<T>(status: number, method: string, path: string, token: string, body?: unknown): Promise<T> {
    const res = await this.call<T>(method, path, token, body);
    if (res.status !== status)
      throw new Error(`${method} ${path}: ${res.status}, expected ${status}: ${JSON.stringify(res.json)}`);
    return res.json;
  }
}

/** Runs fn over items, `width` at a time. */
export async function parallel<T>(
  items: T[],
  width: number,
  fn: (item: T, i: number) => Promise<void>,
): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      await fn(items[i] as T, i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(width, items.length) }, worker));
}

export const TOKEN_IN_URL = /\/invite\/(inv_[A-Za-z0-9_-]{43})/;

/**
 * Creates an invitation without mail (the dispatcher stays idle during the read scenarios) and
 * returns its token.
 */
export async function quietInvite(world: Pick<World, 'api' | 'owner'>, org: string, email: string) {
  const inv = await world.api.expect<{ url: string }>(
    201,
    'POST',
    `/v1/organizations/${org}/invitations`,
    world.owner,
    { email, role: 'member', sendEmail: false },
  );
  const token = TOKEN_IN_URL.exec(inv.url)?.[1];
  if (!token) throw new Error(`no token in ${inv.url}`);
  return token;
}

/**
 * Seeds the servers (targets; through the first one's API); rt signs the bearer tokens and finds the
 * owner's id.
 */
export async function seedWorld(rt: Runtime, targets: Target[], opts: BenchOptions): Promise<World> {
  const url = targets[0]?.url;
  if (!url) throw new Error('no server to seed');
  const issuer = rt.issuer;
  if (!issuer) throw new Error('the built-in issuer is required');
  const sign = (email: string) =>
    issuer.sign({ email, name: email.split('@')[0] ?? null, ttlSeconds: 4 * 3600 });
  const api = new Api(url);
  const t0 = performance.now();
  const ownerEmail = 'owner@bench.example';
  const owner = await sign(ownerEmail);
  const org = async (name: string) =>
    (await api.expect<{ id: string }>(201, 'POST', '/v1/organizations', owner, { name })).id;
  const orgs = {
    main: await org('Bench Main'),
    sideA: await org('Bench Side A'),
    sideB: await org('Bench Side B'),
    big: await org('Bench 100k'),
    small: await org('Bench 1k'),
    creates: await org('Bench Create'),
  };
  const ownerRow = await rt.db.kysely
    .selectFrom('users')
    .select('id')
    .where('email', '=', ownerEmail)
    .executeTakeFirstOrThrow();

  const invitees = Array.from({ length: opts.invitees }, (_, i) => `invitee-${i}@bench.example`);
  const previewTokens: World['previewTokens'] = [];
  if (opts.inviteesInBulk) {
    // the same rows, inserted in bulk (bulk.ts): no tokens kept, so no preview scenario
    for (const o of [orgs.main, orgs.sideA, orgs.sideB]) {
      await bulkInvitations(rt, {
        organizationId: o,
        inviterId: ownerRow.id,
        count: invitees.length,
        newest: Date.now(),
        domain: 'bench.example',
        prefix: 'invitee-',
      });
    }
    await afterBulk(rt);
  } else {
    const jobs = invitees.flatMap((email) => [orgs.main, orgs.sideA, orgs.sideB].map((o) => ({ email, o })));
    await parallel(jobs, 8, async ({ email, o }) => {
      previewTokens.push({ token: await quietInvite({ api, owner }, o, email), email, org: o });
    });
  }
  const orgNames = new Map([
    [orgs.main, 'Bench Main'],
    [orgs.sideA, 'Bench Side A'],
    [orgs.sideB, 'Bench Side B'],
  ]);
  const inviteeTokens: World['inviteeTokens'] = [];
  for (const email of invitees) inviteeTokens.push({ email, bearer: await sign(email) });
  opts.log(
    `  seeded ${invitees.length * 3} invitations ${opts.inviteesInBulk ? 'in bulk' : 'over HTTP'} for ${invitees.length} invitees in ${((performance.now() - t0) / 1000).toFixed(1)} s`,
  );
  return {
    opts,
    url,
    targets,
    api,
    rt,
    sign,
    owner,
    ownerId: ownerRow.id,
    orgs,
    orgNames,
    previewTokens,
    inviteeTokens,
    created: [],
    results: [],
  };
}
