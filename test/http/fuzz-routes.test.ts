import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import type { LightMyRequestResponse } from 'fastify';
import { dialects, STRESS } from '../support/db.js';
import { createMailApp, type MailApp } from '../support/mail.js';
import { type FuzzRequest, type Reachable, requestTo, type Target } from '../support/route-arbitrary.js';
import { reachable } from '../support/route-fixtures.js';

// Fuzzing the routes /openapi.json does not describe (RELIABILITY-PLAN case 10, the schema-driven
// fuzzer's blind spot): the OAuth2 provider under /oauth/ and its discovery, the sign-in pages at
// /oauth/interaction/:uid, the invitation page /invite/:token and its forms, /auth/*, the stylesheet
// and the dev mailbox. Random methods, suffixes, query strings, bodies, headers and cookies, mostly
// built from live values (test/support/route-arbitrary.ts). Every answer: below 500, no stack trace
// in the body, nosniff; an HTML page also its CSP, no-store and no-referrer; a token no-store.
// ~40 runs per route by default; STRESS=1 runs 400. FUZZ_SEED replays a run.

const RUNS = STRESS ? 400 : 40;
const SEED = process.env.FUZZ_SEED ? Number(process.env.FUZZ_SEED) : STRESS ? Date.now() : 20_260_712;

/** A stack frame, a source path or a module path: what an unhandled error's message carries. */
const STACK =
  /\n\s+at \S|\bat (?:async )?\S+ \(|node:internal|node_modules|\/(?:src|dist)\/\S+\.[jt]s\b|\.[jt]s:\d+:\d+/;

const TARGETS: Target[] = [
  {
    name: 'authorization endpoint',
    // POST is off in oidc-provider by default (enableHttpPostMethods): 404
    methods: ['GET'],
    suffixes: ['', '/{uid}'],
    path: '/oauth/authorize',
    params: [
      'client_id',
      'response_type',
      'redirect_uri',
      'scope',
      'state',
      'nonce',
      'code_challenge',
      'code_challenge_method',
      'prompt',
      'resource',
      'max_age',
      'request',
      'request_uri',
      'response_mode',
      'login_hint',
      'claims',
    ],
  },
  {
    name: 'token endpoint',
    methods: ['POST'],
    path: '/oauth/token',
    params: [
      'grant_type',
      'code',
      'redirect_uri',
      'code_verifier',
      'client_id',
      'client_secret',
      'scope',
      'resource',
      'refresh_token',
      'client_assertion',
      'client_assertion_type',
    ],
  },
  {
    name: 'revocation',
    methods: ['POST'],
    path: '/oauth/revoke',
    params: ['token', 'token_type_hint', 'client_id', 'client_secret'],
  },
  { name: 'userinfo', methods: ['GET', 'POST'], path: '/oauth/userinfo', params: ['access_token', 'scope'] },
  {
    name: 'logout',
    methods: ['GET'],
    path: '/oauth/logout',
    suffixes: ['', '/success'],
    params: ['id_token_hint', 'post_logout_redirect_uri', 'state', 'client_id', 'logout_hint', 'ui_locales'],
  },
  {
    name: 'logout confirmation',
    methods: ['POST'],
    path: '/oauth/logout/confirm',
    params: ['xsrf', 'logout', 'state'],
  },
  {
    name: 'the rest of /oauth/ and discovery',
    methods: ['GET', 'POST'],
    path: '/{oauthPath}',
    params: ['client_id', 'token', 'request', 'resource'],
  },
  {
    name: 'sign-in page',
    methods: ['GET'],
    path: '/oauth/interaction/{uid}',
    params: ['restart', 'prompt'],
  },
  {
    name: 'sign-in forms',
    methods: ['POST'],
    path: '/oauth/interaction/{uid}',
    suffixes: ['/email', '/code'],
    params: ['email', 'code'],
  },
  { name: 'invitation page', methods: ['GET'], path: '/invite/{token}', params: ['csrf'] },
  {
    name: 'invitation page forms',
    methods: ['POST'],
    path: '/invite/{token}',
    suffixes: ['/accept', '/decline'],
    params: ['csrf'],
  },
  {
    name: 'page sign-in and its callback',
    methods: ['GET'],
    path: '/auth/{authStep}',
    params: ['return_to', 'code', 'state', 'iss', 'error', 'error_description'],
  },
  {
    name: 'page sign-out',
    methods: ['POST'],
    path: '/auth/sign-out',
    params: ['csrf', 'return_to', 'switch'],
  },
  { name: 'stylesheet', methods: ['GET', 'HEAD'], path: '/assets/{asset}', params: ['v'] },
  { name: 'dev mailbox', methods: ['GET'], path: '/dev/mailbox', params: ['format'] },
];

let cases = 0;
const statuses = new Map<number, number>();

/** What is wrong with one answer, if anything. */
function problemsOf(req: FuzzRequest, res: LightMyRequestResponse): string[] {
  const problems: string[] = [];
  const h = res.headers;
  if (res.statusCode >= 500) problems.push(`status ${res.statusCode}`);
  if (STACK.test(res.body)) problems.push('a stack trace or source path in the body');
  if (h['x-content-type-options'] !== 'nosniff') problems.push('no nosniff');
  if (String(h['content-type'] ?? '').startsWith('text/html')) {
    if (!h['content-security-policy']) problems.push('HTML without CSP');
    if (h['referrer-policy'] !== 'no-referrer') problems.push('HTML without no-referrer');
    if (h['cache-control'] !== 'no-store') problems.push(`HTML with cache-control ${h['cache-control']}`);
  }
  const carries =
    /inv_[A-Za-z0-9_-]{20,}/.test(res.body) || /"(access_token|client_secret)"\s*:/.test(res.body);
  if (carries && h['cache-control'] !== 'no-store') problems.push('a token without no-store');
  return problems.map(
    (p) => `${req.method} ${req.url.slice(0, 200)} → ${res.statusCode}: ${p}\n${res.body.slice(0, 600)}`,
  );
}

for (const dialect of dialects()) {
  describe(`[${dialect}] fuzzing the routes outside OpenAPI`, () => {
    let m: MailApp;
    let fresh: () => Promise<Reachable>;

    before(async () => {
      // the dev mailbox needs the outbox (no SMTP_URL, loopback HOST); nothing is dispatched
      m = await createMailApp(dialect, {}, { dispatch: false });
      fresh = await reachable(m);
    });
    after(() => m.close());

    for (const target of TARGETS) {
      it(`${target.name}: below 500, no stack trace, the security headers`, async () => {
        const run = await fc.check(
          fc.asyncProperty(requestTo(target, await fresh()), async (req) => {
            cases++;
            const res = await m.app.inject({
              method: req.method,
              url: req.url,
              headers: req.headers,
              ...(req.payload !== undefined ? { payload: req.payload } : {}),
            });
            statuses.set(res.statusCode, (statuses.get(res.statusCode) ?? 0) + 1);
            assert.deepEqual(problemsOf(req, res), []);
          }),
          { numRuns: RUNS, seed: SEED, endOnFailure: true },
        );
        if (run.failed) {
          const example = JSON.stringify(run.counterexample).slice(0, 800);
          assert.fail(
            `${target.name} (seed ${run.seed}, path ${run.counterexamplePath}): ${example}\n${String(run.errorInstance).slice(0, 2000)}`,
          );
        }
      });
    }

    it('what the fuzzer found stays fixed', async () => {
      const get = (url: string) => m.app.inject({ method: 'GET', url });
      const form = (url: string, body: Record<string, string>) =>
        m.app.inject({
          method: 'POST',
          url,
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
          payload: new URLSearchParams(body).toString(),
        });
      // a failed resume whose query names a registered client: oidc-provider answered 500
      const resume = await get('/oauth/authorize/abc?client_id=admit-api-docs');
      assert.equal(resume.statusCode, 400, resume.body);
      assert.equal(resume.headers['content-security-policy'] !== undefined, true);
      // U+0000 in a client_id or a token: PostgreSQL refused the lookup (500)
      for (const res of [
        await get('/oauth/logout?client_id=%00'),
        await get('/oauth/authorize?client_id=%00&response_type=code'),
        await form('/oauth/token', {
          grant_type: 'client_credentials',
          client_id: '\u0000',
          client_secret: 'x',
        }),
        await form('/oauth/token', {
          grant_type: 'authorization_code',
          code: '\u0000',
          client_id: 'x\u0000',
        }),
        await form('/oauth/revoke', { token: '\u0000', client_id: '\u0000' }),
      ])
        assert.ok(res.statusCode < 500, `${res.statusCode} ${res.body.slice(0, 300)}`);
      // a URL that cannot be decoded is refused before any hook: nosniff all the same
      const badUrl = await get('/oauth/%E0%A4%A');
      assert.equal(badUrl.statusCode, 400);
      assert.equal(badUrl.headers['x-content-type-options'], 'nosniff');
      // the provider's own self-submitting page (sign-out without a session): Admit's headers, and a
      // CSP that still lets its one inline script run (by hash), and nothing else
      const logout = await get('/oauth/logout');
      assert.equal(logout.statusCode, 200, logout.body);
      const script = /<script>([\s\S]*?)<\/script>/.exec(logout.body)?.[1] ?? '';
      const hash = createHash('sha256').update(script).digest('base64');
      const csp = String(logout.headers['content-security-policy']);
      assert.match(csp, /default-src 'none'/);
      assert.ok(csp.includes(`script-src 'report-sample' 'sha256-${hash}'`), csp);
      assert.equal(logout.headers['referrer-policy'], 'no-referrer');
    });

    it('logged no server error while fuzzed', () => {
      const errors = m.logs.filter((l) => l.includes('"level":50'));
      assert.deepEqual(
        errors.map((l) => l.slice(0, 600)),
        [],
      );
    });
  });
}

after(() => {
  const tally = [...statuses].sort(([a], [b]) => a - b).map(([s, n]) => `${s}×${n}`);
  console.log(`route fuzzing: ${cases} cases tried (seed ${SEED}, ${RUNS} per route): ${tally.join(' ')}`);
});
