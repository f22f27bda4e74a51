// create: POST an invitation with a distinct email each time, outbox row included (sendEmail defaults
// to true); the tokens it returns become the accept scenario's pool.
import { randomBytes } from 'node:crypto';
import type { Scenario } from '../scenario.js';
import { TOKEN_IN_URL } from '../seed.js';

export const create: Scenario = {
  name: 'create',
  load: ({ orgs, owner, created }) => {
    let seq = 0;
    const run = randomBytes(3).toString('hex');
    return {
      next: (ctx) => {
        const email = `new-${run}-${seq++}@bench.example`;
        ctx.email = email;
        return {
          method: 'POST',
          path: `/v1/organizations/${orgs.creates}/invitations`,
          headers: { authorization: `Bearer ${owner}`, 'content-type': 'application/json' },
          body: JSON.stringify({ email, role: 'member' }),
        };
      },
      expect: 201,
      onOk: (body, ctx) => {
        const token = TOKEN_IN_URL.exec(body)?.[1];
        if (token) created.push({ token, email: ctx.email as string });
      },
    };
  },
  check: (b, ctx) => {
    const inv = b as {
      email?: string;
      status?: string;
      url?: string;
      delivery?: { status?: string };
    };
    return (
      inv.email === ctx.email &&
      inv.status === 'pending' &&
      TOKEN_IN_URL.test(inv.url ?? '') &&
      inv.delivery?.status === 'queued'
    );
  },
};
