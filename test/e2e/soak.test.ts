import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { ensureBuilt, freePort, type Proc, reap } from '../../scripts/proc.js';
import type { Runtime } from '../../src/runtime.js';
import { dialects, freshDatabase, STRESS } from '../support/db.js';
import { loadTarget, observer, serverEnv, sleep, startAdmit } from '../support/faults.js';
import { checkInvariants } from '../support/invariants.js';
import { checkJournal, drive, isAnswer, Journal } from '../support/load.js';
import { waitFor } from '../support/mail.js';

// RELIABILITY-PLAN case 57, bounded: mixed write traffic for a few minutes (SOAK_SECONDS, 180 by
// default) against one server, then the invariant checker, the journal of acknowledged writes, the
// outbox drained, and the server's resident memory before and after. Only with STRESS=1
// (`npm run test:stress`): it takes minutes.

const SOAK_MS = Number(process.env.SOAK_SECONDS ?? 180) * 1000;

const rssKb = (pid: number) =>
  Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0);

for (const dialect of dialects()) {
  describe(`[${dialect}] soak: mixed traffic for a few minutes`, {
    skip: !STRESS && 'long: runs with STRESS=1 (npm run test:stress)',
  }, () => {
    let server: Proc | undefined;
    let rt: Runtime | undefined;
    before(() => ensureBuilt());
    after(async () => {
      await reap(server);
      await rt?.close();
    });

    it('answers every request, loses nothing, keeps the invariants and drains the outbox', async () => {
      const { url } = await freshDatabase(dialect);
      const env = serverEnv(url);
      rt = await observer(env);
      const port = await freePort();
      server = await startAdmit(env, port);
      const target = await loadTarget(rt, `http://127.0.0.1:${port}`);
      const journal = new Journal();
      const pid = server.child.pid!;
      // warm up, then measure
      await drive(target, journal, { concurrency: 8, stop: () => false, maxRequests: 500 });
      const rssBefore = rssKb(pid);
      const until = Date.now() + SOAK_MS;
      await drive(target, journal, {
        concurrency: 8,
        stop: () => Date.now() > until,
        maxRequests: 10_000_000,
        onAnswer: (o) => assert.ok(isAnswer(o) && o.status < 300, `no fault injected: ${JSON.stringify(o)}`),
      });
      const rssAfter = rssKb(pid);
      await sleep(500);
      await waitFor(
        async () => {
          const open = await rt!.db.kysely
            .selectFrom('outbox')
            .select('id')
            .where('status', 'in', ['queued', 'sending', 'retrying'])
            .execute();
          return open.length === 0;
        },
        'the outbox drains',
        60_000,
      );
      const checked = await checkJournal(rt.db.kysely, journal);
      await checkInvariants(rt.db.kysely, { dialect });
      console.log(
        `[faults] soak ${dialect}: ${Math.round(SOAK_MS / 1000)} s, ${journal.tally.requests} requests, ` +
          `${journal.tally.acknowledged} acknowledged writes all stored (${checked.existing} invitations), ` +
          `outbox drained, RSS ${Math.round(rssBefore / 1024)} → ${Math.round(rssAfter / 1024)} MiB`,
      );
    });
  });
}
