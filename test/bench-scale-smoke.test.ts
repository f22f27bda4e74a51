import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DEFAULTS, runBench } from '../bench/bench.js';
import { runScale, SCALE_LISTS } from '../bench/scale.js';
import { ensureBuilt } from '../scripts/proc.js';
import { dialects } from './support/db.js';

// Quick runs of `npm run bench -- --scale` (every list on two databases, tiny sizes) and of
// `--processes 2` (two servers on one PostgreSQL database, limits on through Redis): correctness only —
// every request answered as intended, no errors. No timed assertions.

ensureBuilt();

const quiet = { log: () => undefined, emit: () => undefined };

/**
 * A database of its own on the test server: the bench drops its schemas when done, which races other
 * files' migrations in a shared database (and the other bench smoke's, in admit_bench_smoke).
 */
function postgresUrl(): { postgresUrl?: string } {
  const test = process.env.TEST_DATABASE_URL;
  if (!test) return {};
  const url = new URL(test);
  url.pathname = '/admit_bench_scale_smoke';
  return { postgresUrl: url.toString() };
}

type Counted = { errors: number; non2xx: number; wrongStatus: number; badBodies: number; checked: number };

function assertClean(r: Counted & { scenario: string; requests: number }) {
  const what = JSON.stringify(r);
  assert.ok(r.requests > 0, `no requests: ${what}`);
  assert.equal(r.errors, 0, what);
  assert.equal(r.non2xx, 0, what);
  assert.equal(r.wrongStatus, 0, what);
  assert.equal(r.badBodies, 0, what);
  assert.ok(r.checked > 0, `no body checked: ${what}`);
}

for (const dialect of dialects()) {
  describe(`[${dialect}] bench --scale smoke`, () => {
    it('measures every list on the small and the large database', { timeout: 240_000 }, async () => {
      const report = await runScale({
        ...DEFAULTS,
        ...quiet,
        ...(dialect === 'postgres' ? postgresUrl() : {}),
        db: dialect,
        duration: 1,
        warmup: 0.3,
        connections: 4,
        rate: 40,
        invitees: 20,
        // the small side's deep pages must outnumber the kept ones (admin-list-cursor)
        smallOrg: 800,
        bigOrg: 4_000,
      });
      assert.deepEqual(
        report.results.map((r) => r.scenario),
        SCALE_LISTS.flatMap((name) => [`${name} @800`, `${name} @4k`]),
      );
      for (const r of report.results) {
        if (r.scenario.startsWith('ceiling')) continue;
        assertClean(r);
      }
      assert.deepEqual(
        report.sides.map((s) => [s.invitations, s.organizations]),
        [
          [800, 80],
          [4_000, 400],
        ],
      );
      for (const s of report.sides) {
        assert.ok(s.seed.total > 0, JSON.stringify(s));
        assert.match(s.size, /MB/);
      }
      assert.match(report.table, /\| admin-list-cursor \| [\d.]+ \| [\d.]+ \| [\d.]+× \|/);
    });
  });
}

describe('bench --processes', () => {
  it('refuses several processes on SQLite, which is one server process', async () => {
    await assert.rejects(runBench({ ...quiet, db: 'sqlite', processes: 2 }), /needs --db postgres/);
  });

  const redis = process.env.TEST_REDIS_URL;
  const skip = !dialects().includes('postgres')
    ? 'needs TEST_DATABASE_URL'
    : !redis && 'needs TEST_REDIS_URL (the limits are on, in Redis)';
  it('runs two servers on one PostgreSQL database with the limits on', {
    skip,
    timeout: 180_000,
  }, async () => {
    const report = await runBench({
      ...quiet,
      ...postgresUrl(),
      db: 'postgres',
      processes: 2,
      ...(redis ? { redisUrl: redis } : {}),
      only: ['preview', 'create', 'accept'],
      duration: 1,
      // no warm-up: accept's pool is sized by create's rate, and with every limit on (six Redis
      // counters per create) accept runs several times faster than create, so on a loaded machine a
      // warm-up could use the whole pool before anything is measured
      warmup: 0,
      connections: 4,
      invitees: 20,
      bigOrg: 2_000,
      smallOrg: 200,
    });
    assert.equal(report.settings.processes, 2);
    assert.match(String(report.settings.limits), /^on/);
    assert.deepEqual(
      report.results.map((r) => r.scenario).filter((n) => !n.startsWith('ceiling')),
      ['preview', 'create', 'accept'],
    );
    for (const r of report.results) if (!r.scenario.startsWith('ceiling')) assertClean(r);
  });
});
