// invitee-list: an invitee's own pending invitations, GET /invitations with their bearer token; each
// invitee has three (main, side A, side B), each organization one member (the owner).
import type { Invitee, Scenario } from '../scenario.js';

export const inviteeList: Scenario = {
  name: 'invitee-list',
  load: ({ inviteeTokens }) => {
    let i = 0;
    return {
      next: (ctx) => {
        const u: Invitee = inviteeTokens[i++ % inviteeTokens.length]!;
        ctx.u = u;
        return {
          method: 'GET',
          path: '/invitations',
          headers: { authorization: `Bearer ${u.bearer}` },
        };
      },
      expect: 200,
    };
  },
  check: (b, _ctx, { orgNames }) => {
    const list = b as { organization_name?: string; organization_member_count?: number }[];
    return (
      Array.isArray(list) &&
      list.length === 3 &&
      list.every(
        (x) =>
          [...orgNames.values()].includes(x.organization_name ?? '') && x.organization_member_count === 1,
      )
    );
  },
};
