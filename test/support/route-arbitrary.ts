import fc from 'fast-check';
import { junkString } from './schema-arbitrary.js';

// Requests for the routes outside /openapi.json (the OAuth2 provider under /oauth/, the invitation
// page and its sign-in, the stylesheet, the dev mailbox), as fast-check arbitraries: random methods,
// path suffixes, query strings, form and other bodies, headers and cookies, each drawn mostly from
// values that reach deep (a live interaction, a live page session, a registered client's secret, a
// real invitation token) and sometimes from junk (test/support/schema-arbitrary.ts).

export interface FuzzRequest {
  method: 'GET' | 'POST' | 'HEAD' | 'OPTIONS' | 'PUT' | 'DELETE' | 'PATCH';
  url: string;
  headers: Record<string, string>;
  payload?: string;
}

/** What the fixtures made: values that get past the first checks of each route. */
export interface Reachable {
  publicUrl: string;
  /** cookie name → live value (page session, sign-in in progress, the provider's interaction) */
  cookies: Record<string, string>;
  /** values worth sending for a parameter or form field of this name */
  params: Record<string, readonly string[]>;
  /** values worth sending in Authorization */
  authorization: readonly string[];
  /** values worth sending for a path segment of this name */
  segments: Record<string, readonly string[]>;
}

export interface Target {
  name: string;
  methods: readonly FuzzRequest['method'][];
  /** the path, `{name}` segments filled from Reachable.segments or junk */
  path: string;
  /** suffixes appended to the path: sub-routes, and junk besides */
  suffixes?: readonly string[];
  /** parameter names tried in the query and in the body */
  params: readonly string[];
}

const METHODS: FuzzRequest['method'][] = ['GET', 'POST', 'HEAD', 'OPTIONS', 'PUT', 'DELETE', 'PATCH'];
const CONTENT_TYPES = [
  'application/x-www-form-urlencoded',
  'application/x-www-form-urlencoded; charset=utf-8',
  'application/json',
  'text/plain',
  'multipart/form-data; boundary=x',
  'application/jwt',
];

/** Header values must be printable ASCII to be sent at all: anything else becomes `?`. */
const headerSafe = (s: string) => s.replace(/[^\t\x20-\x7e]/g, '?').slice(0, 4000);

/** Mostly one of the live values, sometimes the other (junk); only the other when there is none. */
const some = <T>(values: readonly T[], other: fc.Arbitrary<T>, weight = 4): fc.Arbitrary<T> =>
  values.length > 0 ? fc.oneof({ weight, arbitrary: fc.constantFrom(...values) }, other) : other;

/** The live values for a name (an own property only: junk names include `__proto__` and `constructor`). */
const known = (table: Record<string, readonly string[]>, name: string): readonly string[] =>
  Object.hasOwn(table, name) ? (table[name] ?? []) : [];

function pairs(target: Target, r: Reachable): fc.Arbitrary<[string, string][]> {
  const name = fc.oneof({ weight: 5, arbitrary: fc.constantFrom(...target.params) }, junkString);
  const pair = name.chain((n) => fc.tuple(fc.constant(n), some(known(r.params, n), junkString)));
  return fc.array(pair, { maxLength: 8 });
}

function cookies(r: Reachable): fc.Arbitrary<string | undefined> {
  const names = Object.keys(r.cookies);
  const one = fc
    .tuple(
      fc.oneof({ weight: 4, arbitrary: fc.constantFrom(...names) }, junkString),
      fc.boolean(),
      junkString,
    )
    .map(([n, live, junk]) => `${n}=${live && Object.hasOwn(r.cookies, n) ? r.cookies[n] : junk}`);
  return fc.oneof(
    fc.constant(undefined),
    { weight: 5, arbitrary: fc.constant(names.map((n) => `${n}=${r.cookies[n]}`).join('; ')) },
    { weight: 3, arbitrary: fc.array(one, { minLength: 1, maxLength: 5 }).map((c) => c.join('; ')) },
    junkString,
  );
}

function body(target: Target, r: Reachable): fc.Arbitrary<{ type?: string; payload?: string }> {
  const form = pairs(target, r).map((p) => new URLSearchParams(p).toString());
  return fc.oneof(
    { weight: 2, arbitrary: fc.constant({}) },
    { weight: 5, arbitrary: form.map((payload) => ({ type: CONTENT_TYPES[0], payload })) },
    fc.tuple(fc.constantFrom(...CONTENT_TYPES), form).map(([type, payload]) => ({ type, payload })),
    fc
      .tuple(fc.constantFrom(...CONTENT_TYPES), pairs(target, r))
      .map(([type, p]) => ({ type, payload: JSON.stringify(Object.fromEntries(p)) })),
    fc
      .tuple(fc.oneof(fc.constantFrom(...CONTENT_TYPES), junkString), junkString)
      .map(([type, payload]) => ({ type, payload })),
    fc.constantFrom('%zz', '%', 'a=%E0%A4%A', `email=${'x'.repeat(70_000)}`).map((payload) => ({
      type: CONTENT_TYPES[0],
      payload,
    })),
  );
}

/** One random request to the target. */
export function requestTo(target: Target, r: Reachable): fc.Arbitrary<FuzzRequest> {
  const origin = new URL(r.publicUrl).origin;
  // live segments as they are (some hold a `/`), junk ones encoded
  const segment = (name: string) => some(known(r.segments, name), junkString.map(encodeURIComponent));
  const path = target.path
    .split(/(\{\w+\})/)
    .map((part) => {
      const m = /^\{(\w+)\}$/.exec(part);
      return m?.[1] ? segment(m[1]) : fc.constant(part);
    })
    .reduce((a, b) => fc.tuple(a, b).map(([x, y]) => x + y));
  const suffix = some(
    target.suffixes ?? [''],
    junkString.map((s) => `/${encodeURIComponent(s)}`),
    8,
  )
    // a suffix may name a segment too: `/{uid}`
    .chain((sfx) =>
      sfx.includes('{')
        ? segment(/\{(\w+)\}/.exec(sfx)?.[1] ?? '').map((v) => sfx.replace(/\{\w+\}/, v))
        : fc.constant(sfx),
    );
  const plain = fc.record(
    {
      authorization: some(r.authorization, junkString),
      cookie: cookies(r),
      origin: fc.constantFrom(origin, 'https://evil.example', 'null'),
      referer: fc.constantFrom(`${origin}/invite/x`, 'https://evil.example/'),
      accept: fc.oneof(fc.constantFrom('text/html', 'application/json', '*/*'), junkString),
      host: fc.constantFrom('localhost', '127.0.0.1:3000', 'evil.example', new URL(origin).host),
      'if-none-match': junkString,
    },
    { requiredKeys: [] },
  );
  // now and then as if through a proxy (the dev mailbox refuses those; TRUST_PROXY is unset)
  const proxied = fc.oneof(
    { weight: 4, arbitrary: fc.constant({}) },
    fc.record(
      {
        'x-forwarded-for': fc.constantFrom('203.0.113.9', '127.0.0.1', 'junk'),
        'x-forwarded-host': fc.constantFrom('evil.example', 'localhost'),
        'x-forwarded-proto': fc.constantFrom('https', 'http', 'gopher'),
        forwarded: fc.constantFrom('for=203.0.113.9', 'junk'),
      },
      { requiredKeys: [] },
    ),
  );
  const headers = fc.tuple(plain, proxied).map(([a, b]) => ({ ...a, ...b }));
  return fc
    .record({
      method: some(target.methods, fc.constantFrom(...METHODS), 8),
      path,
      suffix,
      query: pairs(target, r),
      body: body(target, r),
      headers,
    })
    .map(({ method, path, suffix, query, body, headers }) => {
      const qs = new URLSearchParams(query).toString();
      const h: Record<string, string> = {};
      for (const [k, v] of Object.entries(headers)) if (v !== undefined) h[k] = headerSafe(v);
      const sendsBody = method !== 'GET' && method !== 'HEAD' && body.payload !== undefined;
      if (sendsBody && body.type) h['content-type'] = headerSafe(body.type);
      return {
        method,
        url: `${path}${suffix}${qs ? `?${qs}` : ''}`,
        headers: h,
        ...(sendsBody ? { payload: body.payload } : {}),
      };
    });
}
