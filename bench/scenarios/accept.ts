// accept: POST /api/v1/invitations/:token/accept, every request a different token + bearer pair signed
// ahead of time. The pool is what create made, topped up over HTTP to 1.5× what accept could use at
// create's rate; when it runs out the run stops early (the result's note says so).
import { randomBytes } from 'node:crypto';
import type { Scenario } from '../scenario.js';
import { parallel, quietInvite } from '../seed.js';

type Pair = { token: string; email: string; bearer: string };

export const accept: Scenario = {
  name: 'accept',
  requires: 'create',
  load: async (world) => {
    const { opts, orgs, created: pool } = world;
    const createRate = world.results.find((r) => r.scenario === 'create')?.reqPerSec ?? 0;
    const needed = Math.ceil((opts.warmup + opts.duration) * Math.max(createRate, 200) * 1.5);
    if (pool.length < needed) {
      const t3 = performance.now();
      const extra = Array.from(
        { length: needed - pool.length },
        (_, i) => `more-${randomBytes(3).toString('hex')}-${i}@bench.example`,
      );
      await parallel(extra, 8, async (email) => {
        pool.push({ token: await quietInvite(world, orgs.creates, email), email });
      });
      opts.log(
        `  topped up the accept pool with ${extra.length} invitations in ${((performance.now() - t3) / 1000).toFixed(1)} s`,
      );
    }
    const t2 = performance.now();
    const pairs: Pair[] = [];
    for (const p of pool) pairs.push({ ...p, bearer: await world.sign(p.email) });
    opts.log(
      `  signed ${pairs.length} invitee tokens for accept in ${((performance.now() - t2) / 1000).toFixed(1)} s`,
    );
    let i = 0;
    return {
      next: (ctx) => {
        const p = pairs[i++];
        if (!p) return null;
        ctx.p = p;
        return {
          method: 'POST',
          path: `/api/v1/invitations/${p.token}/accept`,
          headers: { authorization: `Bearer ${p.bearer}` },
        };
      },
      expect: 200,
    };
  },
  check: (b, _ctx, { orgs }) => {
    const m = (b as { data?: { membership?: { organization_id?: string; role?: string } } }).data?.membership;
    return m?.organization_id === orgs.creates && m.role === 'member';
  },
};
