// How many statements each write path sends, counted at node-postgres's Client.query, and in how
// many writes to PostgreSQL's socket they go out (the round trips: pipelined statements share one),
// on a fresh database through the real composition. `node --import tsx bench/round-trips.ts`
// with TEST_DATABASE_URL set. Each path runs a few times after a warm-up; the last run's statements print.
import pg from 'pg';
import { createTestApp } from '../test/support/app.js';
import { actor, invite, organization, tokenOf } from '../test/support/fixtures.js';
import { writesDuring } from '../test/support/pg-writes.js';

const seen: string[] = [];
const original = pg.Client.prototype.query;
pg.Client.prototype.query = function (this: pg.Client, ...args: unknown[]) {
  const [q] = args;
  const text = typeof q === 'string' ? q : (q as { text?: string } | undefined)?.text;
  if (text) seen.push(text.replace(/\s+/g, ' ').slice(0, 110));
  return (original as (...a: unknown[]) => unknown).apply(this, args);
} as typeof pg.Client.prototype.query;

const pgPort = Number(new URL(process.env.TEST_DATABASE_URL ?? 'postgres://x').port || 5432);

const t = await createTestApp('postgres');
try {
  const owner = await actor(t, 'owner@example.com');
  const org = await organization(owner);
  /** An invitee's accept, counted alone: the user provisioned before it, or by it. */
  const accept = async (email: string, opts: { provisioned: boolean }) => {
    const who = await actor(t, email);
    const inv = await invite(owner, org, who.email, 'member', { sendEmail: false });
    if (opts.provisioned) await who.api.get(`/v1/organizations/${org}`);
    return async () => {
      const res = await who.api.post(`/api/v1/invitations/${tokenOf(inv.url)}/accept`);
      if (res.statusCode !== 200) throw new Error(res.body);
    };
  };
  // each path sets up, then gives the operation whose statements and writes are counted
  const paths: Record<string, (i: number) => Promise<() => Promise<unknown>>> = {
    create: async (i) => () => invite(owner, org, `c${i}@example.com`, 'member', { sendEmail: false }),
    accept: (i) => accept(`a${i}@example.com`, { provisioned: true }),
    // the bench's accept scenario: the invitee's first request, so the user is provisioned too
    'accept, first request': (i) => accept(`f${i}@example.com`, { provisioned: false }),
    preview: async (i) => {
      const inv = await invite(owner, org, `p${i}@example.com`, 'member', { sendEmail: false });
      return () => owner.api.get(`/api/v1/invitations/${tokenOf(inv.url)}`);
    },
  };
  for (const [name, run] of Object.entries(paths)) {
    let writes = 0;
    for (let i = 0; i < 3; i++) {
      const operation = await run(i);
      seen.length = 0;
      writes = (await writesDuring(pgPort, operation)).writes;
    }
    console.log(`\n${name}: ${seen.length} statements in ${writes} writes`);
    for (const s of seen) console.log(`  ${s}`);
  }
} finally {
  await t.close();
}
