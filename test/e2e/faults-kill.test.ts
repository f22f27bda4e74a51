import assert from 'node:assert/strict';
import { Agent } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { ensureBuilt, freePort, type Proc, reap } from '../../scripts/proc.js';
import type { Runtime } from '../../src/runtime.js';
import { dialects, freshDatabase, STRESS } from '../support/db.js';
import { between, loadTarget, observer, serverEnv, sleep, startAdmit } from '../support/faults.js';
import { checkInvariants } from '../support/invariants.js';
import { checkJournal, drive, Journal, type LoadTarget } from '../support/load.js';

// RELIABILITY-PLAN case 44: the server killed with SIGKILL at a random point under mixed write load
// (create, accept, decline, revoke, resend), several rounds on one database. After each restart every
// acknowledged write is there with its acknowledged state, and the §4 invariants hold (on SQLite with
// PRAGMA integrity_check). STRESS=1 runs 20 rounds with longer loads.

const ROUNDS = STRESS ? 20 : 3;
const LOAD_MS: [number, number] = STRESS ? [1_000, 5_000] : [400, 1_200];
const CONCURRENCY = 8;

before(() => ensureBuilt());

for (const dialect of dialects()) {
  describe(`[${dialect}] SIGKILL under mixed write load`, () => {
    let server: Proc | undefined;
    let rt: Runtime | undefined;
    after(async () => {
      await reap(server);
      await rt?.close();
    });

    it(`keeps every acknowledged write across ${ROUNDS} kills, invariants intact`, async () => {
      const { url } = await freshDatabase(dialect);
      const env = serverEnv(url);
      rt = await observer(env);
      const port = await freePort();
      const base = `http://127.0.0.1:${port}`;
      const journal = new Journal();
      let target: LoadTarget | undefined;
      let checked = { exact: 0, existing: 0 };

      for (let round = 0; round < ROUNDS; round++) {
        server = await startAdmit(env, port);
        const agent = new Agent({ keepAlive: true });
        target = target ? { ...target, agent } : await loadTarget(rt, base, agent);
        // what the last crash left: everything acknowledged before it, invariants intact
        checked = await checkJournal(rt.db.kysely, journal);
        await checkInvariants(rt.db.kysely, { dialect });

        let killed = false;
        const load = drive(target, journal, {
          concurrency: CONCURRENCY,
          stop: () => killed,
          maxRequests: 100_000,
        });
        await sleep(between(...LOAD_MS));
        killed = true;
        server.child.kill('SIGKILL');
        assert.equal(await server.exited, 'SIGKILL', 'killed, not exited by itself');
        await load;
        agent.destroy();
      }

      server = await startAdmit(env, port);
      checked = await checkJournal(rt.db.kysely, journal);
      await checkInvariants(rt.db.kysely, { dialect });
      assert.ok(journal.tally.acknowledged > ROUNDS, `writes were acknowledged: ${journal.summary()}`);
      // and the restarted server serves them
      const probe = [...journal.entries.values()].find((e) => !e.uncertain);
      if (probe) {
        const res = await fetch(`${base}/v1/organizations/${probe.orgId}/invitations/${probe.id}`, {
          headers: { authorization: `Bearer ${target!.ownerToken}` },
        });
        assert.equal(res.status, 200);
        assert.equal(((await res.json()) as { status: string }).status, probe.state);
      }
      console.log(
        `[faults] SIGKILL ${dialect}: ${ROUNDS} kills, ${journal.tally.requests} requests under load, ` +
          `${journal.tally.acknowledged} acknowledged writes; ${checked.existing} invitations found after restart ` +
          `(${checked.exact} with their exact acknowledged state), 0 lost; statuses ${journal.summary()}`,
      );
    });
  });
}
