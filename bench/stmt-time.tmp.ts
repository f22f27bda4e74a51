import SQLite from 'better-sqlite3';
import { createTestApp } from '../test/support/app.js';
import { actor, organization } from '../test/support/fixtures.js';

const times = new Map<string, { n: number; ns: bigint }>();
const proto = (SQLite as unknown as { prototype: { prepare: (s: string) => unknown } }).prototype;
const prep = proto.prepare;
proto.prepare = function (this: unknown, source: string) {
  const stmt = prep.call(this, source) as Record<string, (...a: unknown[]) => unknown>;
  for (const m of ['run', 'all', 'get'] as const) {
    const f = stmt[m];
    if (!f) continue;
    stmt[m] = function (this: unknown, ...a: unknown[]) {
      const t0 = process.hrtime.bigint();
      try { return f.apply(stmt, a); } finally {
        const k = source.replace(/\s+/g, ' ').slice(0, 100);
        const e = times.get(k) ?? { n: 0, ns: 0n };
        e.n++; e.ns += process.hrtime.bigint() - t0; times.set(k, e);
      }
    };
  }
  return stmt;
};
const t = await createTestApp('sqlite');
const owner = await actor(t, 'owner@example.com');
const org = await organization(owner);
const N = 3000;
const invs: { token: string; email: string }[] = [];
for (let k = 0; k < N; k++) {
  const email = `a${k}@example.com`;
  const r = await owner.api.post(`/v1/organizations/${org}/invitations`, { email, role: 'member', sendEmail: false });
  invs.push({ email, token: /inv_[A-Za-z0-9_-]{43}/.exec(r.body)![0] });
}
const bearers = await Promise.all(invs.map((x) => t.token(x.email)));
const { client } = await import('../test/support/app.js');
let i = 0;
times.clear();
const c0 = process.cpuUsage();
await Promise.all(Array.from({ length: 50 }, async () => {
  while (i < N) {
    const k = i++;
    const r = await client(t.app, bearers[k]!).post(`/api/v1/invitations/${invs[k]!.token}/accept`);
    if (r.statusCode !== 200) throw new Error(r.body);
  }
}));
const c = process.cpuUsage(c0);
await new Promise((r) => setTimeout(r, 1000));
console.log('cpu per op µs', ((c.user + c.system) / N).toFixed(0));
let tot = 0n;
for (const [k, v] of [...times].sort((a, b) => Number(b[1].ns - a[1].ns))) { tot += v.ns; console.log((Number(v.ns) / N / 1000).toFixed(1).padStart(7), 'µs/op', String(v.n).padStart(6), k); }
console.log('total', (Number(tot) / N / 1000).toFixed(1));
await t.close();
const path = (t.config.database as { path: string }).path;
const d = new SQLite(path);
for (const [k] of times) {
  if (!k.startsWith('select')) continue;
}
console.log(d.prepare(`select tbl_name, name, sql from sqlite_master where type in ('index','trigger') and tbl_name in ('invitations','outbox','events')`).all().map((r: any) => `${r.tbl_name} ${r.name}: ${r.sql}`).join('\n'));
