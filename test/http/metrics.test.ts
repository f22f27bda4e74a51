import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ConfigError, loadConfig } from '../../src/config.js';
import { createTestApp, type TestApp } from '../support/app.js';
import { dialects } from '../support/db.js';
import { actor, invite, organization } from '../support/fixtures.js';
import { createMailApp } from '../support/mail.js';
import { type Family, parsePrometheusText } from '../support/prom-text.js';

// GET /metrics (SPEC §1 METRICS, issue 15): off by default; when on, Prometheus text that a strict
// parser of the exposition format accepts, route labels that are templates (never a token), the
// outbox backlog and deliveries, and access for loopback requests or a bearer of METRICS_TOKEN only.

const METRICS_TOKEN = 'metrics-token-0123456789-abcdefghijklmnop';
const REMOTE = '203.0.113.7';

function sampleValue(f: Family | undefined, labels: Record<string, string> = {}, name = f?.name): number {
  const s = f?.samples.find(
    (x) => x.name === name && Object.entries(labels).every(([k, v]) => x.labels[k] === v),
  );
  assert.ok(s, `no sample ${name} ${JSON.stringify(labels)}`);
  return s.value;
}

async function scrape(
  t: TestApp | { app: TestApp['app'] },
): Promise<{ text: string; families: Map<string, Family> }> {
  const res = await t.app.inject({ method: 'GET', url: '/metrics' });
  assert.equal(res.statusCode, 200, res.body);
  assert.match(String(res.headers['content-type']), /^text\/plain; version=0\.0\.4/);
  return { text: res.body, families: parsePrometheusText(res.body) };
}

describe('the exposition parser of these tests', () => {
  it('accepts a well-formed exposition and rejects what the format forbids', () => {
    const good =
      '# HELP a_total Things.\n# TYPE a_total counter\na_total{x="q\\"uote",y="1"} 3\n' +
      '# TYPE h histogram\nh_bucket{le="1"} 1\nh_bucket{le="+Inf"} 2\nh_sum 1.5\nh_count 2\n';
    assert.equal(parsePrometheusText(good).get('h')?.samples.length, 4);
    for (const bad of [
      'a 1', // no final line feed
      'a{x="1"}1\n', // no space before the value
      'a{x=1} 1\n', // unquoted label value
      'a{__x="1"} 1\n', // reserved label name
      'a{x="\\q"} 1\n', // unknown escape
      'a one\n', // not a float
      'a -NaN\n', // a signed NaN (Go's ParseFloat refuses it)
      '# TYPE a counter\n# TYPE a gauge\na 1\n', // two TYPE lines
      'a 1\n# TYPE a counter\n', // TYPE after samples
      'a 1\nb 1\na{x="1"} 2\n', // a family's lines split
      'a 1\na 2\n', // the same sample twice
      '# TYPE h histogram\nh_bucket{le="1"} 2\nh_bucket{le="+Inf"} 1\nh_sum 1\nh_count 1\n', // not cumulative
      '# TYPE h histogram\nh_bucket{le="1"} 1\nh_sum 1\nh_count 1\n', // no +Inf bucket
    ]) {
      assert.throws(() => parsePrometheusText(bad), Error, JSON.stringify(bad));
    }
  });
});

describe('METRICS configuration', () => {
  const problems = (env: Record<string, string>) => {
    try {
      loadConfig(env);
    } catch (err) {
      assert.ok(err instanceof ConfigError);
      return err.problems.join('\n');
    }
    return '';
  };
  it('is off by default and validated', () => {
    assert.deepEqual(loadConfig({}).metrics, { enabled: false, token: undefined });
    assert.deepEqual(loadConfig({ METRICS: 'on', METRICS_TOKEN }).metrics, {
      enabled: true,
      token: METRICS_TOKEN,
    });
    assert.match(problems({ METRICS: 'yes' }), /METRICS="yes": expected on or off/);
    assert.match(problems({ METRICS_TOKEN }), /METRICS_TOKEN: only meaningful with METRICS=on/);
    assert.match(problems({ METRICS: 'on', METRICS_TOKEN: 'short' }), /at least 32 characters/);
  });
});

for (const dialect of dialects()) {
  describe(`[${dialect}] GET /metrics`, () => {
    let t: TestApp;
    before(async () => {
      t = await createTestApp(dialect, { METRICS: 'on', METRICS_TOKEN });
    });
    after(() => t.close());

    it('is not served unless METRICS=on', async () => {
      const off = await createTestApp(dialect);
      try {
        const res = await off.app.inject({ method: 'GET', url: '/metrics' });
        const unknown = await off.app.inject({ method: 'GET', url: '/no-such-route' });
        assert.equal(res.statusCode, 404);
        assert.equal(res.body, unknown.body);
      } finally {
        await off.close();
      }
    });

    it('labels requests by route template and status, and never shows a token', async () => {
      const owner = await actor(t, 'owner@metrics.example');
      const org = await organization(owner);
      const inv = await invite(owner, org, 'guest@metrics.example', 'member', { sendEmail: false });
      for (const url of [`/api/v1/invitations/${inv.token}`, `/invite/${inv.token}`]) {
        await t.app.inject({ method: 'GET', url, headers: { accept: 'application/json' } });
      }
      await t.app.inject({ method: 'GET', url: `/api/v1/invitations/${inv.token}x` });
      await t.app.inject({ method: 'GET', url: `/no/such/${inv.token}` });
      const { text, families } = await scrape(t);
      assert.ok(!text.includes(inv.token), 'a token appears in /metrics');
      assert.ok(!text.includes(inv.token.slice(4, 20)), 'part of a token appears in /metrics');
      const http = families.get('admit_http_request_duration_seconds');
      assert.equal(http?.type, 'histogram');
      const count = (route: string, status: string, method = 'GET') =>
        sampleValue(http, { method, route, status }, 'admit_http_request_duration_seconds_count');
      assert.equal(count('/api/v1/invitations/:invitation_token', '200'), 1);
      assert.equal(count('/api/v1/invitations/:invitation_token', '404'), 1);
      assert.ok(count('/invite/:token', '200') >= 1);
      assert.equal(count('unmatched', '404'), 1);
      assert.ok(count('/v1/organizations/:organizationId/invitations', '201', 'POST') >= 1);
      for (const s of http?.samples ?? []) {
        assert.ok(
          !/inv_|[0-9a-f]{8}-[0-9a-f]{4}-/.test(s.labels.route ?? ''),
          `a URL as route: ${s.labels.route}`,
        );
      }
    });

    it('reports the process, the event loop and the database pool', async () => {
      const { families } = await scrape(t);
      assert.ok(sampleValue(families.get('process_resident_memory_bytes')) > 0);
      assert.ok(sampleValue(families.get('nodejs_heap_size_used_bytes')) > 0);
      assert.ok(sampleValue(families.get('nodejs_eventloop_lag_seconds')) >= 0);
      assert.equal(families.get('nodejs_eventloop_lag_p99_seconds')?.type, 'gauge');
      const pool = families.get('admit_db_pool_connections');
      if (t.rt.db.dialect === 'postgres') {
        // the scrape itself holds no connection once the backlog query returned
        assert.ok(sampleValue(pool, { state: 'idle' }) >= 1);
        assert.equal(sampleValue(pool, { state: 'in_use' }), 0);
        assert.equal(sampleValue(families.get('admit_db_pool_waiting')), 0);
      } else {
        // one synchronous connection, no pool: nothing is reported rather than a made-up number
        assert.equal(pool, undefined);
      }
    });

    it('reports the outbox backlog and how long its oldest row has been due', async () => {
      const before = (await scrape(t)).families;
      const waiting0 = sampleValue(before.get('admit_outbox_queue_depth'), { state: 'waiting' });
      const owner = await actor(t, 'mailer@metrics.example');
      const org = await organization(owner, 'Mail Corp');
      await invite(owner, org, 'a@metrics.example');
      await invite(owner, org, 'b@metrics.example');
      t.clock.advance(90_000);
      const { families } = await scrape(t);
      assert.equal(sampleValue(families.get('admit_outbox_queue_depth'), { state: 'waiting' }), waiting0 + 2);
      assert.equal(sampleValue(families.get('admit_outbox_queue_depth'), { state: 'sending' }), 0);
      // no dispatcher runs in this app: the oldest row (at least the two above) is 90 s overdue or more
      assert.ok(sampleValue(families.get('admit_outbox_oldest_due_age_seconds')) >= 90);
    });

    it('answers loopback requests and bearers of METRICS_TOKEN, and is a 404 to anyone else', async () => {
      const unknown = await t.app.inject({ method: 'GET', url: '/no-such-route', remoteAddress: REMOTE });
      const get = (headers: Record<string, string>, remoteAddress = '127.0.0.1') =>
        t.app.inject({ method: 'GET', url: '/metrics', headers, remoteAddress });
      const refused: [string, Awaited<ReturnType<typeof get>>][] = [
        ['a remote peer', await get({}, REMOTE)],
        ['a remote peer naming localhost', await get({ host: 'localhost' }, REMOTE)],
        ['a wrong token', await get({ authorization: `Bearer ${METRICS_TOKEN}x` }, REMOTE)],
        ['a foreign Host (DNS rebinding)', await get({ host: 'evil.example' })],
        ['X-Forwarded-For (a local proxy)', await get({ 'x-forwarded-for': REMOTE })],
        ['X-Forwarded-Host', await get({ 'x-forwarded-host': 'localhost' })],
        ['Forwarded', await get({ forwarded: `for=${REMOTE}` })],
      ];
      for (const [who, res] of refused) {
        assert.equal(res.statusCode, 404, who);
        assert.equal(res.body, unknown.body, `${who}: not answered as an unknown route`);
      }
      for (const [who, res] of [
        ['IPv4 loopback', await get({ host: '127.0.0.1:3000' })],
        ['IPv6 loopback', await get({ host: '[::1]:3000' }, '::1')],
        ['IPv4-mapped loopback', await get({ host: 'localhost' }, '::ffff:127.0.0.1')],
        ['the token from afar', await get({ authorization: `Bearer ${METRICS_TOKEN}` }, REMOTE)],
      ] as const) {
        assert.equal(res.statusCode, 200, who);
        parsePrometheusText(res.body);
      }
    });
  });

  describe(`[${dialect}] deliveries by outcome`, () => {
    it('counts each settled delivery attempt', async () => {
      const m = await createMailApp(dialect, { METRICS: 'on' }, { dispatch: false });
      try {
        const auth = {
          authorization: `Bearer ${await m.token('owner@deliveries.example')}`,
          'content-type': 'application/json',
        };
        const org = await m.app.inject({
          method: 'POST',
          url: '/v1/organizations',
          headers: auth,
          payload: { name: 'Deliveries' },
        });
        const orgId = org.json<{ id: string }>().id;
        for (const email of ['x@deliveries.example', 'y@deliveries.example']) {
          const res = await m.app.inject({
            method: 'POST',
            url: `/v1/organizations/${orgId}/invitations`,
            headers: auth,
            payload: { email, role: 'member' },
          });
          assert.equal(res.statusCode, 201, res.body);
        }
        const before = (await scrape(m)).families;
        assert.equal(sampleValue(before.get('admit_outbox_queue_depth'), { state: 'waiting' }), 2);
        assert.equal(before.get('admit_outbox_deliveries_total')?.samples.length, 0);
        assert.equal(await m.outbox.dispatcher.runOnce(), 2);
        const { families } = await scrape(m);
        assert.equal(sampleValue(families.get('admit_outbox_deliveries_total'), { outcome: 'sent' }), 2);
        assert.equal(sampleValue(families.get('admit_outbox_queue_depth'), { state: 'waiting' }), 0);
        assert.equal(sampleValue(families.get('admit_outbox_oldest_due_age_seconds')), 0);
      } finally {
        await m.close();
      }
    });
  });
}
