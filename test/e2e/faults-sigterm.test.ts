import assert from 'node:assert/strict';
import { Agent, request } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { ensureBuilt, freePort, type Proc, reap } from '../../scripts/proc.js';
import type { Runtime } from '../../src/runtime.js';
import { dialects, freshDatabase } from '../support/db.js';
import { loadTarget, observer, serverEnv, sleep, startAdmit } from '../support/faults.js';
import { checkInvariants } from '../support/invariants.js';
import { checkJournal, drive, isAnswer, Journal, type Outcome, send } from '../support/load.js';

// RELIABILITY-PLAN case 50: SIGTERM under mixed write load. A request the server is working on when
// the signal comes finishes (one is held deterministically: its body is still arriving when the
// signal comes); requests after it are refused (503 on a connection
// still open, connection refused once the listener is closed); the process exits 0 (the server's own
// grace timer exits 1); and no refused or unanswered request left anything behind.

before(() => ensureBuilt());

/**
 * A create whose body arrives in two parts: the server has the request (headers read, route matched)
 * and waits for the rest, which is sent when `finish` is called. A request in flight, deterministically.
 */
function heldCreate(base: string, orgId: string, token: string, email: string) {
  const body = JSON.stringify({ email, role: 'member' });
  const half = Math.floor(body.length / 2);
  let finish!: () => void;
  const answer = new Promise<Outcome>((resolve) => {
    const req = request(new URL(`/v1/organizations/${orgId}/invitations`, base), {
      method: 'POST',
      agent: new Agent(),
      headers: {
        authorization: `Bearer ${token}`,
        'content-type': 'application/json',
        'content-length': Buffer.byteLength(body),
      },
    });
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () =>
        resolve({
          status: res.statusCode ?? 0,
          headers: res.headers,
          body: Buffer.concat(chunks).toString(),
        }),
      );
    });
    req.on('error', (err) => resolve({ error: (err as NodeJS.ErrnoException).code ?? err.message }));
    req.flushHeaders();
    req.write(body.slice(0, half));
    finish = () => req.end(body.slice(half));
  });
  return { answer, finish: () => finish() };
}

for (const dialect of dialects()) {
  describe(`[${dialect}] SIGTERM under load`, () => {
    let server: Proc | undefined;
    let rt: Runtime | undefined;
    after(async () => {
      await reap(server);
      await rt?.close();
    });

    it('finishes what is in flight, refuses the rest, exits 0, and leaves nothing half-done', async () => {
      const { url } = await freshDatabase(dialect);
      const env = serverEnv(url);
      rt = await observer(env);
      const port = await freePort();
      server = await startAdmit(env, port);
      const target = await loadTarget(rt, `http://127.0.0.1:${port}`);
      const journal = new Journal();

      let signalled = false;
      let refusedConnections = 0;
      const afterSignal: Outcome[] = [];
      const load = drive(target, journal, {
        concurrency: 6,
        stop: () => refusedConnections >= 6,
        maxRequests: 20_000,
        onAnswer: (o) => {
          if (!signalled) return;
          afterSignal.push(o);
          if (!isAnswer(o) && o.error === 'ECONNREFUSED') refusedConnections++;
        },
      });
      await sleep(600);

      // one create in flight when the signal comes: its body is still arriving
      const heldEmail = 'held@example.com';
      const held = heldCreate(target.base, target.orgId, target.ownerToken, heldEmail);
      await sleep(300);
      server.child.kill('SIGTERM');
      signalled = true;
      await sleep(300);
      held.finish();
      const heldAnswer = await held.answer;
      assert.ok(isAnswer(heldAnswer), `the held request was answered: ${JSON.stringify(heldAnswer)}`);
      assert.equal(heldAnswer.status, 201, `the request in flight at SIGTERM finished: ${heldAnswer.body}`);

      const exit = await server.exited;
      await load;
      // a fresh connection after exit: refused
      const late = await send(new Agent(), target.base, 'GET', '/readyz');
      assert.ok(!isAnswer(late) && late.error === 'ECONNREFUSED', JSON.stringify(late));
      assert.equal(exit, 0, `exit 0 within the grace period:\n${server.output().slice(-2000)}`);

      for (const o of afterSignal) {
        if (isAnswer(o)) {
          assert.ok(o.status < 300 || o.status === 503, `after SIGTERM: ${o.status} ${o.body}`);
          if (o.status === 503) assert.ok(o.headers['retry-after'], 'a 503 says when to retry');
        } else {
          assert.ok(['ECONNREFUSED', 'ECONNRESET', 'EPIPE'].includes(o.error), o.error);
        }
      }
      assert.ok(
        afterSignal.some((o) => !isAnswer(o) || o.status === 503),
        'requests after the signal were refused',
      );

      // every acknowledged write is stored; nothing refused or unanswered left a trace
      const checked = await checkJournal(rt.db.kysely, journal);
      const heldRow = await rt.db.kysely
        .selectFrom('invitations')
        .select('id')
        .where('email', '=', heldEmail)
        .executeTakeFirst();
      assert.ok(heldRow, 'the held create is stored');
      const stored = new Set(
        (await rt.db.kysely.selectFrom('invitations').select('email').execute()).map((r) => r.email),
      );
      for (const email of journal.unanswered)
        assert.ok(!stored.has(email), `a refused create was stored: ${email}`);
      const unsure = [...journal.entries.values()].filter((e) => e.uncertain);
      const rows = await rt.db.kysely
        .selectFrom('invitations')
        .select(['id', 'status'])
        .where('id', 'in', ['00000000-0000-0000-0000-000000000000', ...unsure.map((e) => e.id)])
        .execute();
      for (const r of rows) {
        const e = journal.entries.get(r.id)!;
        assert.equal(r.status, e.state, `an unanswered ${r.id} changed state: ${e.state} → ${r.status}`);
      }
      await checkInvariants(rt.db.kysely, { dialect });
      const answered = afterSignal.filter((o) => isAnswer(o) && o.status < 300).length;
      console.log(
        `[faults] SIGTERM ${dialect}: 1 signal under load, ${journal.tally.requests} requests, ` +
          `${journal.tally.acknowledged} acknowledged writes all stored (${checked.existing} invitations), ` +
          `${answered} answered 2xx after the signal, ${afterSignal.length - answered} refused; exit 0`,
      );
    });
  });
}
