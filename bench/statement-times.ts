// Where a write path's time goes inside SQLite, statement by statement: every better-sqlite3
// statement run is timed (wall time, so a COMMIT's fsync counts), through the real composition on a
// temporary file database, with 50 requests in flight as in the bench. The counterpart of
// round-trips.ts for SQLite. A statement far slower than its work (one that prepares itself again
// on every run, BENCHMARKS.md 51) shows here.
//   node --import tsx bench/statement-times.ts [create|accept] [count]
import SQLite from 'better-sqlite3';
import { client, createTestApp } from '../test/support/app.js';
import { actor, invite, organization } from '../test/support/fixtures.js';

const path = process.argv[2] ?? 'create';
const count = Number(process.argv[3] ?? 3000);
if (path !== 'create' && path !== 'accept') throw new Error(`no path ${path}: create or accept`);

const times = new Map<string, { runs: number; ns: bigint }>();
type Run = (...args: unknown[]) => unknown;
const proto = SQLite.prototype as unknown as { prepare: (source: string) => Record<string, Run> };
const prepare = proto.prepare;
proto.prepare = function (this: unknown, source: string) {
  const stmt = prepare.call(this, source);
  const key = source.replace(/\s+/g, ' ').slice(0, 160);
  for (const method of ['run', 'all', 'get'] as const) {
    const original = stmt[method];
    if (!original) continue;
    stmt[method] = (...args: unknown[]) => {
      const start = process.hrtime.bigint();
      try {
        return original.apply(stmt, args);
      } finally {
        const entry = times.get(key) ?? { runs: 0, ns: 0n };
        entry.runs++;
        entry.ns += process.hrtime.bigint() - start;
        times.set(key, entry);
      }
    };
  }
  return stmt;
};

const t = await createTestApp('sqlite');
try {
  const owner = await actor(t, 'owner@example.com');
  const org = await organization(owner);
  const operations: (() => Promise<unknown>)[] = [];
  for (let i = 0; i < count; i++) {
    const email = `p${i}@example.com`;
    if (path === 'create') {
      operations.push(() => invite(owner, org, email));
    } else {
      const { token } = await invite(owner, org, email, 'member', { sendEmail: false });
      const who = client(t.app, await t.token(email));
      operations.push(async () => {
        const res = await who.post(`/api/v1/invitations/${token}/accept`);
        if (res.statusCode !== 200) throw new Error(res.body);
      });
    }
  }
  times.clear();
  const cpu = process.cpuUsage();
  let next = 0;
  await Promise.all(
    Array.from({ length: 50 }, async () => {
      while (next < operations.length) await (operations[next++] as () => Promise<unknown>)();
    }),
  );
  const used = process.cpuUsage(cpu);
  const per = (ns: bigint) => (Number(ns) / count / 1000).toFixed(1).padStart(7);
  console.log(
    `${path}: ${count} in 50 flights, ${((used.user + used.system) / count).toFixed(0)} µs of CPU each (the test client's included)`,
  );
  let total = 0n;
  for (const [sql, e] of [...times].sort((a, b) => Number(b[1].ns - a[1].ns))) {
    total += e.ns;
    console.log(`${per(e.ns)} µs ${String(e.runs).padStart(6)}×  ${sql}`);
  }
  console.log(`${per(total)} µs per ${path} in SQLite statements (wall)`);
} finally {
  await t.close();
}
