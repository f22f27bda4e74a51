// scoped-list-*: the cross-organization list, GET /api/v1/invitations?limit=100, first page, newest
// first. Never kept: every request reads the database.
// - scoped-list-10-orgs: a caller holding invitations:read (as admin) in 10 organizations, each with
//   --small-org invitations (scopedOrg), among every other organization of the run, which it must not see;
// - scoped-list-system-admin: a system administrator, who sees every invitation of every organization.
import { randomBytes } from 'node:crypto';
import { afterBulk } from '../bulk.js';
import type { Scenario, World } from '../scenario.js';
import { parallel, TOKEN_IN_URL } from '../seed.js';
import { seedBulk } from './admin-list.js';

const ORGS = 10;
const PAGE = 100;

interface Listed {
  organization_id?: string;
  email?: string;
  created_at?: string;
  status?: string;
}

interface Scoped {
  email: string;
  bearer: string;
  orgIds: Set<string>;
}

/** The scoped caller and its organizations, seeded once per world however many scenarios use them. */
const scopedOf = new WeakMap<World, Promise<Scoped>>();
/** ...and once seeded, for the body checks, which are synchronous. */
const seeded = new WeakMap<World, Scoped>();

async function seedScoped(world: World): Promise<Scoped> {
  const t = performance.now();
  const email = `scoped-${randomBytes(3).toString('hex')}@bench.example`;
  const bearer = await world.sign(email);
  const orgIds: string[] = [];
  for (let n = 0; n < ORGS; n++) {
    const org = await world.api.expect<{ id: string }>(201, 'POST', '/v1/organizations', world.owner, {
      name: `Bench Scoped ${n}`,
    });
    orgIds.push(org.id);
  }
  // a member through the public API, as in use: invited as admin (which holds invitations:read), accepted
  await parallel(orgIds, 4, async (org) => {
    const inv = await world.api.expect<{ url: string }>(
      201,
      'POST',
      `/v1/organizations/${org}/invitations`,
      world.owner,
      { email, role: 'admin', sendEmail: false },
    );
    const token = TOKEN_IN_URL.exec(inv.url)?.[1];
    await world.api.expect(200, 'POST', `/api/v1/invitations/${token}/accept`, bearer);
  });
  const size = world.opts.scopedOrg ?? world.opts.smallOrg;
  for (const org of orgIds) await seedBulk(world, org, size, world.scopedNewest);
  await afterBulk(world.rt);
  world.opts.log(
    `  scoped caller: admin in ${ORGS} organizations of ${size} invitations each, seeded in ${((performance.now() - t) / 1000).toFixed(1)} s`,
  );
  const done = { email, bearer, orgIds: new Set(orgIds) };
  seeded.set(world, done);
  return done;
}

function scoped(world: World): Promise<Scoped> {
  let s = scopedOf.get(world);
  if (!s) {
    s = seedScoped(world);
    scopedOf.set(world, s);
  }
  return s;
}

/** A full page, newest first (created_at never increases down the page). */
function fullPage(b: unknown): Listed[] | undefined {
  const body = b as { success?: boolean; data?: { invitations?: Listed[] } };
  const list = body.data?.invitations;
  if (body.success !== true || !Array.isArray(list) || list.length !== PAGE) return undefined;
  for (let i = 1; i < list.length; i++) {
    if ((list[i]?.created_at ?? '') > (list[i - 1]?.created_at ?? '')) return undefined;
  }
  return list;
}

/** Every request the same first page, with the bearer `who` gives. */
function firstPage(who: (world: World) => Promise<string>) {
  return async (world: World) => {
    const bearer = await who(world);
    return {
      next: () => ({
        method: 'GET',
        path: `/api/v1/invitations?limit=${PAGE}`,
        headers: { authorization: `Bearer ${bearer}` },
      }),
      expect: 200,
    };
  };
}

export const scopedList10Orgs: Scenario = {
  name: 'scoped-list-10-orgs',
  seed: async (world) => {
    await scoped(world);
  },
  load: firstPage(async (world) => (await scoped(world)).bearer),
  check: (b, _ctx, world) => {
    const caller = seeded.get(world);
    // only its own organizations' invitations, all pending but its own accepted ones (newer than the
    // bulk rows when --scale places those in the past)
    return (
      fullPage(b)?.every(
        (x) =>
          caller?.orgIds.has(x.organization_id ?? '') &&
          (x.status === 'pending' || (x.status === 'accepted' && x.email === caller.email)),
      ) === true
    );
  },
};

export const scopedListSystemAdmin: Scenario = {
  name: 'scoped-list-system-admin',
  // the same organizations as the scoped caller's, so that both lists are asked of the same database
  seed: async (world) => {
    await scoped(world);
  },
  load: firstPage(async (world) => {
    const issuer = world.rt.issuer;
    if (!issuer) throw new Error('the built-in issuer is required');
    return issuer.sign({
      email: 'sysadmin@bench.example',
      name: 'Sysadmin',
      admin: true,
      ttlSeconds: 4 * 3600,
    });
  }),
  check: (b) => fullPage(b) !== undefined,
};

/**
 * scoped-list-owner: the owner of every organization of the run, the large one included (--scale
 * only): a caller whose own organizations hold the large list, where the 10-organization caller's
 * hold 1,000 rows.
 */
export const scopedListOwner: Scenario = {
  name: 'scoped-list-owner',
  seed: async (world) => {
    await scoped(world);
  },
  load: firstPage(async (world) => world.owner),
  check: (b, _ctx, world) => {
    const mine = new Set([...Object.values(world.orgs), ...(seeded.get(world)?.orgIds ?? [])]);
    return fullPage(b)?.every((x) => mine.has(x.organization_id ?? '')) === true;
  },
};
