import assert from 'node:assert/strict';
import { Ajv, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';
import type { LightMyRequestResponse } from 'fastify';
import type { App } from '../../src/app.js';
import { type Client, client } from './app.js';

// Response contract checks: every response an admin test receives is validated against the schema the
// OpenAPI document (app.swagger(), the same TypeBox schemas that serialize it) declares for its route,
// method and status. A status the route does not document fails the check too.

const addFormats = addFormatsModule as unknown as (ajv: Ajv) => Ajv;

type Operation = { responses?: Record<string, { content?: Record<string, { schema?: object }> }> };
type Doc = { paths: Record<string, Record<string, Operation>> };

interface Route {
  template: string;
  re: RegExp;
  statics: number;
}

export interface Contract {
  /** asserts the response is declared for this route and status and its body matches the schema */
  check(method: string, url: string, res: LightMyRequestResponse): void;
}

const cache = new WeakMap<App, Contract>();

export function contractOf(app: App): Contract {
  const known = cache.get(app);
  if (known) return known;
  const doc = app.swagger() as unknown as Doc;
  const ajv = addFormats(new Ajv({ strict: false, allErrors: true }));
  const routes: Route[] = Object.keys(doc.paths)
    .map((template) => ({
      template,
      re: new RegExp(`^${template.replace(/\{[^}]+\}/g, '[^/]*')}$`),
      statics: template.split('/').filter((s) => s && !s.startsWith('{')).length,
    }))
    // a static segment beats a parameter, as in the router
    .sort((a, b) => b.statics - a.statics);
  const compiled = new Map<string, ValidateFunction>();

  const contract: Contract = {
    check(method, url, res) {
      const path = url.split('?')[0] ?? url;
      const route = routes.find((r) => r.re.test(path));
      if (!route) {
        // unknown routes answer the not-found problem, which has no operation
        assert.equal(res.statusCode, 404, `${method} ${path}: no documented route`);
        return;
      }
      const op = doc.paths[route.template]?.[method.toLowerCase()];
      if (!op) {
        // an undocumented method on a documented path is an unknown route
        assert.equal(res.statusCode, 404, `${method} ${route.template}: not documented, yet answered`);
        return;
      }
      const declared = op.responses?.[String(res.statusCode)];
      assert.ok(
        declared,
        `${method} ${route.template} answered ${res.statusCode}, which its OpenAPI operation does not declare: ${res.body}`,
      );
      const key = `${method} ${route.template} ${res.statusCode}`;
      if (!declared.content) {
        assert.equal(res.body, '', `${key} declares no body`);
        return;
      }
      const mediaType = String(res.headers['content-type'] ?? '')
        .split(';')[0]
        ?.trim();
      const content = declared.content[mediaType ?? ''];
      assert.ok(
        content?.schema,
        `${key} answered ${mediaType}, but declares ${Object.keys(declared.content).join(', ')}`,
      );
      let validate = compiled.get(key);
      if (!validate) {
        validate = ajv.compile(content.schema as object);
        compiled.set(key, validate);
      }
      const body: unknown = JSON.parse(res.body);
      assert.ok(
        validate(body),
        `${key}: body does not match its declared schema: ${ajv.errorsText(validate.errors)}\n${res.body}`,
      );
    },
  };
  cache.set(app, contract);
  return contract;
}

/** Every response seen by checked clients of one app, for the plain-token scan. */
export const seenBodies = new WeakMap<App, string[]>();

/** client() whose every response is checked against the OpenAPI contract and recorded. */
export function checkedClient(app: App, token?: string, headers: Record<string, string> = {}): Client {
  const raw = client(app, token);
  const c = contractOf(app);
  const record = (res: LightMyRequestResponse) => {
    const list = seenBodies.get(app) ?? [];
    list.push(`${JSON.stringify(res.headers)}\n${res.body}`);
    seenBodies.set(app, list);
  };
  const wrap =
    <A extends unknown[]>(method: string, fn: (url: string, ...args: A) => ReturnType<Client['get']>) =>
    async (url: string, ...args: A) => {
      const res = await fn(url, ...args);
      record(res);
      c.check(method, url, res);
      return res;
    };
  return {
    get: wrap('GET', (url: string, h?: Record<string, string>) => raw.get(url, { ...headers, ...h })),
    post: wrap('POST', (url: string, body?: unknown, h?: Record<string, string>) =>
      raw.post(url, body, { ...headers, ...h }),
    ),
    patch: wrap('PATCH', (url: string, body?: unknown, h?: Record<string, string>) =>
      raw.patch(url, body, { ...headers, ...h }),
    ),
    delete: wrap('DELETE', (url: string, h?: Record<string, string>) =>
      raw.delete(url, { ...headers, ...h }),
    ),
  };
}
