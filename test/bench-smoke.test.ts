import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { runBench, SCENARIOS } from '../bench/bench.js';
import { ensureBuilt } from '../scripts/proc.js';
import { dialects } from './support/db.js';

// A quick run of `npm run bench` (two seconds per scenario, 4 connections, small seed): correctness only — every
// scenario answers the intended status and bodies, no errors. No timed assertions.

ensureBuilt();

/**
 * The bench drops its schema when done; in the suite's own database that drop races other test files'
 * migrations (Kysely's introspection lists every schema's tables), so the smoke runs in a database of
 * its own on the same server (created by the bench when missing).
 */
function benchDatabaseUrl(testUrl: string): string {
  const url = new URL(testUrl);
  url.pathname = '/admit_bench_smoke';
  return url.toString();
}

for (const dialect of dialects()) {
  describe(`[${dialect}] bench smoke`, () => {
    it('runs every scenario with only intended responses', { timeout: 180_000 }, async () => {
      const lines: string[] = [];
      const report = await runBench({
        db: dialect,
        ...(dialect === 'postgres' && process.env.TEST_DATABASE_URL
          ? { postgresUrl: benchDatabaseUrl(process.env.TEST_DATABASE_URL) }
          : {}),
        duration: 2,
        warmup: 0.5,
        connections: 4,
        invitees: 20,
        bigOrg: 2_000,
        smallOrg: 200,
        log: () => undefined,
        emit: (line) => lines.push(line),
      });
      assert.deepEqual(
        report.results.map((r) => r.scenario),
        [...SCENARIOS],
      );
      assert.equal(lines.length, SCENARIOS.length);
      for (const r of report.results) {
        const what = JSON.stringify(r);
        assert.ok(r.requests > 0, `no requests: ${what}`);
        assert.ok(r.reqPerSec > 0, what);
        // failed commits and commits missing afterwards for ceiling-commit; failed requests for the rest
        assert.equal(r.errors, 0, what);
        assert.ok(r.rssMb > 0, what);
        for (const key of ['scenario', 'reqPerSec', 'p50Ms', 'p99Ms', 'non2xx', 'errors', 'rssMb'])
          assert.ok(
            key in (JSON.parse(lines[report.results.indexOf(r)] ?? '{}') as object),
            `${key} missing`,
          );
        // on PostgreSQL the database's own CPU per request is measured too, and only there
        if (
          dialect === 'postgres' &&
          r.scenario !== 'ceiling-fastify' &&
          r.scenario !== 'ceiling-fastify (end)'
        )
          assert.ok(typeof r.databaseCpuUs === 'number' && r.databaseCpuUs > 0, `database CPU: ${what}`);
        if (dialect === 'sqlite') assert.equal(r.databaseCpuUs, undefined, what);
        // ceiling-commit is no HTTP: it has no status, body or server process to check
        if (r.scenario.startsWith('ceiling-commit')) continue;
        assert.equal(r.non2xx, 0, what);
        assert.equal(r.wrongStatus, 0, what);
        assert.equal(r.badBodies, 0, what);
        assert.ok(r.checked > 0, `no body checked: ${what}`);
        assert.ok(r.p50Ms > 0 && r.p99Ms >= r.p50Ms, `latencies: ${what}`);
        assert.ok(typeof r.serverCpuUs === 'number' && r.serverCpuUs > 0, `server CPU: ${what}`);
      }
      assert.match(report.table, /\| preview \|/);
      assert.match(report.table, /of fastify/);
      assert.match(report.table, /of commit/);
      assert.equal(report.table.includes('PostgreSQL CPU µs/req'), dialect === 'postgres');
    });
  });
}
