import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Validator } from '@seriousme/openapi-schema-validator';
import { createTestApp, type TestApp } from '../support/app.js';

// SPEC §4.4: OpenAPI 3.1 at /openapi.json, generated from the route schemas, valid under a standard
// validator, no duplicate path templates; Swagger UI at /docs. (Dialect-independent: SQLite only.)

type Operation = {
  operationId?: string;
  summary?: string;
  tags?: string[];
  security?: Record<string, string[]>[];
  responses?: Record<string, unknown>;
};
type Doc = {
  openapi: string;
  paths: Record<string, Record<string, Operation>>;
  components?: { securitySchemes?: Record<string, { type: string; scheme?: string }> };
};

const METHODS = ['get', 'put', 'post', 'delete', 'patch', 'head', 'options'];

describe('OpenAPI document', () => {
  let t: TestApp;
  let doc: Doc;
  before(async () => {
    t = await createTestApp('sqlite');
    const res = await t.app.inject({ method: 'GET', url: '/openapi.json' });
    assert.equal(res.statusCode, 200);
    assert.match(String(res.headers['content-type']), /^application\/json/);
    doc = res.json<Doc>();
  });
  after(() => t.close());

  it('is OpenAPI 3.1 and valid under @seriousme/openapi-schema-validator', async () => {
    assert.match(doc.openapi, /^3\.1\./);
    const validator = new Validator();
    const result = await validator.validate(doc as unknown as Record<string, unknown>);
    assert.equal(result.valid, true, JSON.stringify(result.errors, null, 2));
  });

  it('is the same document as app.swagger()', () => {
    assert.deepEqual(doc, JSON.parse(JSON.stringify(t.app.swagger())));
  });

  const operations = () =>
    Object.entries(doc.paths).flatMap(([path, item]) =>
      Object.entries(item)
        .filter(([m]) => METHODS.includes(m))
        .map(([method, op]) => ({ path, method, op })),
    );

  it('has unique operation ids, and every operation has a summary and a tag', () => {
    const ids = operations().map(({ path, method, op }) => {
      assert.ok(op.operationId, `${method} ${path} has no operationId`);
      assert.ok(op.summary, `${method} ${path} has no summary`);
      assert.ok(op.tags?.length, `${method} ${path} has no tag`);
      return op.operationId;
    });
    assert.equal(new Set(ids).size, ids.length, `duplicate operationIds: ${ids.join(', ')}`);
  });

  it('has no two path templates that differ only in parameter names', () => {
    const shapes = Object.keys(doc.paths).map((p) => p.replace(/\{[^}]+\}/g, '{}'));
    const dupes = shapes.filter((s, i) => shapes.indexOf(s) !== i);
    assert.deepEqual(dupes, []);
  });

  it('declares the bearer security scheme, used by every admin operation', () => {
    const schemes = doc.components?.securitySchemes ?? {};
    const bearer = Object.entries(schemes).find(([, s]) => s.type === 'http' && s.scheme === 'bearer');
    assert.ok(bearer, 'a bearer scheme');
    for (const { path, method, op } of operations()) {
      if (!path.startsWith('/v1/')) continue;
      assert.ok(
        op.security?.some((s) => bearer[0] in s),
        `${method} ${path} does not require the bearer scheme`,
      );
      for (const status of ['400', '401', '429']) {
        assert.ok(op.responses?.[status], `${method} ${path} does not document ${status}`);
      }
    }
  });

  it('documents every endpoint of SPEC §4.1', () => {
    const expected = [
      'post /v1/organizations',
      'get /v1/organizations',
      'get /v1/organizations/{organizationId}',
      'patch /v1/organizations/{organizationId}',
      'get /v1/organizations/{organizationId}/members',
      'patch /v1/organizations/{organizationId}/members/{userId}',
      'delete /v1/organizations/{organizationId}/members/{userId}',
      'post /v1/organizations/{organizationId}/workspaces',
      'get /v1/organizations/{organizationId}/workspaces',
      'post /v1/organizations/{organizationId}/roles',
      'get /v1/organizations/{organizationId}/roles',
      'patch /v1/organizations/{organizationId}/roles/{roleId}',
      'post /v1/organizations/{organizationId}/invitations',
      'get /v1/organizations/{organizationId}/invitations',
      'get /v1/organizations/{organizationId}/invitations/{invitationId}',
      'delete /v1/organizations/{organizationId}/invitations/{invitationId}',
      'post /v1/organizations/{organizationId}/invitations/{invitationId}/resend',
    ];
    const have = new Set(operations().map(({ path, method }) => `${method} ${path}`));
    for (const e of expected) assert.ok(have.has(e), `${e} is not documented`);
    const list = doc.paths['/v1/organizations/{organizationId}/invitations']?.get as Operation & {
      parameters?: { name: string; in: string }[];
    };
    assert.deepEqual(
      list.parameters
        ?.filter((p) => p.in === 'query')
        .map((p) => p.name)
        .sort(),
      ['cursor', 'limit', 'status'],
    );
  });

  it("declares an oauth2 scheme with both flows at the provider's real URLs", () => {
    const oauth2 = doc.components?.securitySchemes?.oauth2 as unknown as {
      type: string;
      flows: {
        authorizationCode: { authorizationUrl: string; tokenUrl: string; scopes: Record<string, string> };
        clientCredentials: { tokenUrl: string; scopes: Record<string, string> };
      };
    };
    assert.equal(oauth2.type, 'oauth2');
    assert.equal(oauth2.flows.authorizationCode.authorizationUrl, `${t.config.publicUrl}/oauth/authorize`);
    assert.equal(oauth2.flows.authorizationCode.tokenUrl, `${t.config.publicUrl}/oauth/token`);
    assert.equal(oauth2.flows.clientCredentials.tokenUrl, `${t.config.publicUrl}/oauth/token`);
    assert.ok('admit:admin' in oauth2.flows.clientCredentials.scopes);
  });

  it('every operation declares its security: bearer or oauth2, or [] when public', () => {
    const publicOps: string[] = [];
    for (const { path, method, op } of operations()) {
      assert.ok(Array.isArray(op.security), `${method} ${path} declares no security`);
      if (op.security.length === 0) {
        publicOps.push(`${method} ${path}`);
        continue;
      }
      const names = op.security.flatMap((s) => Object.keys(s)).sort();
      assert.deepEqual(names, ['bearerAuth', 'oauth2'], `${method} ${path}`);
    }
    assert.ok(publicOps.includes('get /healthz'), publicOps.join(', '));
  });

  it("the provider's discovery names the same endpoints", async () => {
    const res = await t.app.inject({ method: 'GET', url: '/.well-known/openid-configuration' });
    assert.equal(res.statusCode, 200);
    const d = res.json<Record<string, unknown>>();
    assert.equal(d.issuer, t.config.publicUrl);
    assert.equal(d.authorization_endpoint, `${t.config.publicUrl}/oauth/authorize`);
    assert.equal(d.token_endpoint, `${t.config.publicUrl}/oauth/token`);
    assert.equal(d.revocation_endpoint, `${t.config.publicUrl}/oauth/revoke`);
    assert.equal(d.jwks_uri, `${t.config.publicUrl}/.well-known/jwks.json`);
  });

  it('serves Swagger UI at /docs, set up for PKCE', async () => {
    const init = await t.app.inject({ method: 'GET', url: '/docs/static/swagger-initializer.js' });
    assert.equal(init.statusCode, 200);
    assert.match(init.body, /usePkceWithAuthorizationCodeGrant/);
  });

  it('serves Swagger UI at /docs', async () => {
    const final = await t.app.inject({ method: 'GET', url: '/docs' });
    assert.equal(final.statusCode, 200);
    assert.match(String(final.headers['content-type']), /text\/html/);
    assert.match(final.body, /swagger/i);
  });
});
