import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import { createTestApp, type TestApp } from '../support/app.js';
import { contractOf } from '../support/contract.js';
import { dialects, STRESS } from '../support/db.js';
import { type Actor, actor, invite, makeMember, organization } from '../support/fixtures.js';
import { fuzzed, type Hints, type JsonSchema, junk, withHint } from '../support/schema-arbitrary.js';

// Schema-driven fuzzing (RELIABILITY-PLAN case 10): requests generated from /openapi.json for every
// documented operation and parameter (path, query, header, body), as the owner of an organization and
// as anonymous, through app.inject. Every answer is below 500, has a status its operation declares,
// and a body that validates against the declared schema (test/support/contract.ts, ajv).
// ~30 runs per operation and caller by default; STRESS=1 runs 300. FUZZ_SEED replays a run.

const RUNS = STRESS ? 300 : 30;
const SEED = process.env.FUZZ_SEED ? Number(process.env.FUZZ_SEED) : STRESS ? Date.now() : 20_260_712;

interface Parameter {
  name: string;
  in: 'path' | 'query' | 'header';
  required?: boolean;
  schema: JsonSchema;
}
interface Operation {
  operationId: string;
  parameters?: Parameter[];
  requestBody?: { content: Record<string, { schema: JsonSchema }> };
}

interface Request {
  method: string;
  url: string;
  headers: Record<string, string>;
  payload?: string;
}

let cases = 0;
/** how many answers of each status: a run that only ever meets the validator would show it here */
const statuses = new Map<number, number>();
const HEADER_VALUE = /^[\t\x20-\x7e]*$/;

const text = (v: unknown): string =>
  typeof v === 'string' ? v : v !== null && typeof v === 'object' ? JSON.stringify(v) : String(v);

function requestArbitrary(path: string, method: string, op: Operation, hints: Hints): fc.Arbitrary<Request> {
  const params = op.parameters ?? [];
  const model: Record<string, fc.Arbitrary<unknown>> = {};
  for (const p of params) model[`${p.in}:${p.name}`] = withHint(p.name, fuzzed(p.schema, hints), hints);
  const optional = params.filter((p) => !p.required && p.in !== 'path').map((p) => `${p.in}:${p.name}`);
  const schema = op.requestBody?.content['application/json']?.schema;
  const body: fc.Arbitrary<{ payload?: string; type?: string }> = schema
    ? fc.oneof(
        {
          weight: 6,
          arbitrary: fuzzed(schema, hints).map((b) => ({
            payload: JSON.stringify(b),
            type: 'application/json',
          })),
        },
        fc
          .constantFrom('{', '', 'null', '[]', '{"a":', '\u0000')
          .map((payload) => ({ payload, type: 'application/json' })),
        junk.map((b) => ({ payload: text(b), type: 'text/plain' })),
        fc.constant({}),
      )
    : fc.oneof(
        { weight: 4, arbitrary: fc.constant({}) },
        fc.constant({ payload: '{}', type: 'application/json' }),
      );
  const required = Object.keys(model).filter((k) => !optional.includes(k));
  return fc.tuple(fc.record(model, { requiredKeys: required }), body).map(([values, b]) => {
    let url = path;
    const query = new URLSearchParams();
    const headers: Record<string, string> = {};
    for (const [key, value] of Object.entries(values)) {
      const [where, name = ''] = key.split(':');
      if (where === 'path') url = url.replace(`{${name}}`, encodeURIComponent(text(value)));
      else if (where === 'query')
        for (const one of Array.isArray(value) ? value : [value]) query.append(name, text(one));
      else if (HEADER_VALUE.test(text(value))) headers[name] = text(value);
    }
    if (b.type) headers['content-type'] = b.type;
    const qs = query.toString();
    return {
      method: method.toUpperCase(),
      url: qs ? `${url}?${qs}` : url,
      headers,
      ...(b.payload !== undefined ? { payload: b.payload } : {}),
    };
  });
}

for (const dialect of dialects()) {
  describe(`[${dialect}] schema-driven fuzzing of every documented operation`, () => {
    let t: TestApp;
    let owner: Actor;
    let hints: Hints;
    let doc: { paths: Record<string, Record<string, Operation>> };

    before(async () => {
      t = await createTestApp(dialect);
      owner = await actor(t, 'owner@example.com', { name: 'Owner' });
      const org = await organization(owner, 'Fuzzed Org');
      const inv = await invite(owner, org, 'invitee@example.com', 'member', { sendEmail: false });
      const memberId = await makeMember(owner, org, await actor(t, 'member@example.com'), 'member');
      const ws = await owner.api.post(`/v1/organizations/${org}/workspaces`, { name: 'W' });
      const roles = (await owner.api.get(`/v1/organizations/${org}/roles`)).json<{ id: string }[]>();
      // real values, so that generated requests also reach past the 404s into the services
      hints = {
        organizationId: fc.constant(org),
        invitationId: fc.constant(inv.id),
        invitation_id: fc.constant(inv.id),
        invitation_token: fc.constantFrom(inv.token, inv.id),
        userId: fc.constant(memberId),
        roleId: fc.constantFrom(...roles.map((r) => r.id)),
        workspaceId: fc.constant(ws.json<{ id: string }>().id),
        email: fc.emailAddress(),
        role: fc.constantFrom('member', 'admin', 'owner', 'nobody'),
        'idempotency-key': fc.string({ minLength: 1, maxLength: 300 }),
      };
      doc = (await t.app.inject({ method: 'GET', url: '/openapi.json' })).json();
    });
    after(() => t.close());

    it('answers every generated request below 500, with a declared status and a body matching its schema', async () => {
      const contract = contractOf(t.app);
      for (const [path, item] of Object.entries(doc.paths)) {
        for (const [method, op] of Object.entries(item)) {
          for (const who of ['owner', 'anonymous'] as const) {
            const run = await fc.check(
              fc.asyncProperty(requestArbitrary(path, method, op, hints), async (req) => {
                cases++;
                const res = await t.app.inject({
                  method: req.method as 'GET',
                  url: req.url,
                  headers: {
                    ...req.headers,
                    ...(who === 'owner' ? { authorization: `Bearer ${owner.token}` } : {}),
                  },
                  ...(req.payload !== undefined ? { payload: req.payload } : {}),
                });
                statuses.set(res.statusCode, (statuses.get(res.statusCode) ?? 0) + 1);
                assert.ok(
                  res.statusCode < 500,
                  `${op.operationId} as ${who}: ${res.statusCode} ${res.body.slice(0, 300)}`,
                );
                contract.check(req.method, req.url, res);
              }),
              { numRuns: RUNS, seed: SEED, endOnFailure: true },
            );
            if (run.failed) {
              // the counterexample can be a 70 KB string: report its head
              const example = JSON.stringify(run.counterexample).slice(0, 600);
              assert.fail(
                `${op.operationId} as ${who} (seed ${run.seed}, path ${run.counterexamplePath}): ${example}\n${String(run.errorInstance).slice(0, 1500)}`,
              );
            }
          }
        }
      }
    });
  });
}

after(() => {
  const tally = [...statuses].sort(([a], [b]) => a - b).map(([s, n]) => `${s}×${n}`);
  console.log(
    `schema fuzzing: ${cases} cases tried (seed ${SEED}, ${RUNS} per operation and caller): ${tally.join(' ')}`,
  );
});
