// preview: the public invitation lookup by token, GET /api/v1/invitations/:token, round-robin over
// every seeded token (three organizations per invitee).
import type { Scenario } from '../scenario.js';

type Token = { token: string; email: string; org: string };

export const preview: Scenario = {
  name: 'preview',
  load: ({ previewTokens }) => {
    let i = 0;
    return {
      next: (ctx) => {
        const t = previewTokens[i++ % previewTokens.length]!;
        ctx.t = t;
        return { method: 'GET', path: `/api/v1/invitations/${t.token}` };
      },
      expect: 200,
    };
  },
  check: (b, ctx) => {
    const t = ctx.t as Token;
    const inv = (
      b as {
        success?: boolean;
        data?: { invitation?: { email?: string; organization?: { id?: string } } };
      }
    ).data?.invitation;
    return inv?.email === t.email && inv.organization?.id === t.org;
  },
};
