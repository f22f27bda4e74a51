import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { ensureBuilt, freePort, type Proc, reap } from '../../scripts/proc.js';
import type { Runtime } from '../../src/runtime.js';
import { STRESS } from '../support/db.js';
import { loadTarget, observer, serverEnv, sleep, startAdmit } from '../support/faults.js';
import { checkInvariants } from '../support/invariants.js';
import { checkJournal, drive, isAnswer, Journal, type Outcome, send } from '../support/load.js';

// RELIABILITY-PLAN case 45: PostgreSQL stopped with `pg_ctl stop -m immediate` (crash recovery on the
// next start) in the middle of mixed write load, then started again. The server stays up, answers 503
// with Retry-After meanwhile (never 500), /readyz says it is not ready, and it recovers by itself;
// every acknowledged write survives. The cluster is the test's own (initdb on another port, run as
// the postgres user), never the machine's shared server. STRESS=1 runs 5 outages.

const run = promisify(execFile);
const PG_LIB = '/usr/lib/postgresql';
const BIN = existsSync(PG_LIB)
  ? readdirSync(PG_LIB)
      .map((v) => join(PG_LIB, v, 'bin'))
      .filter((b) => existsSync(join(b, 'initdb')))
      .sort()
      .at(-1)
  : undefined;
const RUNUSER = ['/usr/sbin/runuser', '/sbin/runuser', '/usr/bin/runuser'].find((p) => existsSync(p));
const skip =
  !BIN || !existsSync(join(BIN, 'initdb'))
    ? 'no PostgreSQL server binaries (initdb under /usr/lib/postgresql/*/bin)'
    : !RUNUSER
      ? 'no runuser (PostgreSQL refuses to run as root)'
      : process.getuid?.() !== 0
        ? 'needs root to run the throwaway cluster as the postgres user'
        : false;
const OUTAGES = STRESS ? 5 : 1;

/** A throwaway cluster in a temporary directory, owned by and run as the postgres user. */
function cluster(dir: string, port: number) {
  const data = join(dir, 'data');
  const asPostgres = (cmd: string, args: string[]) =>
    run(RUNUSER!, ['-u', 'postgres', '--', join(BIN!, cmd), ...args], { cwd: dir });
  const options = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=on -c synchronous_commit=on`;
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    init: async () => {
      await run('chown', ['postgres:', dir]);
      // --no-sync speeds up initdb only; the server itself runs with fsync on (durability is tested)
      await asPostgres('initdb', ['-D', data, '-A', 'trust', '-U', 'postgres', '--no-sync', '-E', 'UTF8']);
    },
    start: () => asPostgres('pg_ctl', ['-D', data, '-l', join(dir, 'log'), '-w', '-o', options, 'start']),
    crash: () => asPostgres('pg_ctl', ['-D', data, '-m', 'immediate', 'stop']),
  };
}

describe('[postgres] the database stopped with -m immediate under load', { skip }, () => {
  let server: Proc | undefined;
  let rt: Runtime | undefined;
  let pg: ReturnType<typeof cluster> | undefined;
  let dir: string | undefined;
  before(() => ensureBuilt());
  after(async () => {
    await reap(server);
    // bounded: a pool whose server is gone may wait on its dead clients
    await Promise.race([rt?.close().catch(() => undefined), sleep(5_000)]);
    await pg?.crash().catch(() => undefined);
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('answers 503 with Retry-After while it is down, stays up, and recovers by itself', async () => {
    dir = mkdtempSync(join(tmpdir(), 'admit-pg-'));
    pg = cluster(dir, await freePort());
    await pg.init();
    await pg.start();
    const env = serverEnv(pg.url);
    rt = await observer(env);
    const port = await freePort();
    server = await startAdmit(env, port);
    const target = await loadTarget(rt, `http://127.0.0.1:${port}`);
    const journal = new Journal();
    const answers: Outcome[] = [];
    let done = false;
    const load = drive(target, journal, {
      concurrency: 4,
      stop: () => done,
      maxRequests: 50_000,
      onAnswer: (o) => answers.push(o),
    });

    let outageAnswers = 0;
    for (let i = 0; i < OUTAGES; i++) {
      await sleep(800);
      await pg.crash();
      // while it is down: the process answers, says it is not ready, and refuses writes with 503
      const health = await send(target.agent, target.base, 'GET', '/healthz');
      assert.ok(
        isAnswer(health) && health.status === 200,
        `the server process stays up: ${JSON.stringify(health)}\n${server.output().slice(-3000)}`,
      );
      const ready = await send(target.agent, target.base, 'GET', '/readyz');
      assert.ok(isAnswer(ready) && ready.status === 503, `readyz while down: ${JSON.stringify(ready)}`);
      const write = await send(
        target.agent,
        target.base,
        'POST',
        `/v1/organizations/${target.orgId}/invitations`,
        {
          token: target.ownerToken,
          body: { email: `during-${i}@example.com`, role: 'member' },
        },
      );
      assert.ok(isAnswer(write) && write.status === 503, `a write while down: ${JSON.stringify(write)}`);
      assert.ok(Number(write.headers['retry-after']) >= 1, 'with Retry-After');
      outageAnswers += 3;
      await sleep(1_000);
      await pg.start();
      // recovers by itself: no restart of the server, bounded wait
      let readyAgain = false;
      for (let n = 0; n < 300 && !readyAgain; n++) {
        const r = await send(target.agent, target.base, 'GET', '/readyz');
        readyAgain = isAnswer(r) && r.status === 200;
        if (!readyAgain) await sleep(100);
      }
      assert.ok(readyAgain, '/readyz is 200 again after PostgreSQL restarted');
    }
    await sleep(500);
    done = true;
    await load;

    assert.equal(server.child.exitCode, null, 'the server never exited');
    const after = await send(
      target.agent,
      target.base,
      'POST',
      `/v1/organizations/${target.orgId}/invitations`,
      {
        token: target.ownerToken,
        body: { email: 'after@example.com', role: 'member' },
      },
    );
    assert.ok(isAnswer(after) && after.status === 201, 'writes work again');
    for (const o of answers) {
      if (!isAnswer(o)) continue;
      assert.ok(o.status < 300 || o.status === 503, `only 2xx or 503 under the fault: ${o.status} ${o.body}`);
      if (o.status === 503) assert.ok(o.headers['retry-after'], '503 with Retry-After');
    }
    const unavailable = answers.filter((o) => isAnswer(o) && o.status === 503).length;
    assert.ok(unavailable > 0, 'the load met the outage');
    const checked = await checkJournal(rt.db.kysely, journal);
    await checkInvariants(rt.db.kysely, { dialect: 'postgres' });
    console.log(
      `[faults] PostgreSQL -m immediate: ${OUTAGES} outage(s), ${journal.tally.requests + outageAnswers} requests, ` +
        `${unavailable + outageAnswers - OUTAGES * 2} answered 503 with Retry-After, ` +
        `${journal.tally.acknowledged} acknowledged writes all kept (${checked.existing} invitations); statuses ${journal.summary()}`,
    );
  });
});
