import type { App } from '../../src/app.js';

// A tiny browser for HTTP-level page tests: a cookie jar per host and manual redirects. Requests to
// Admit's PUBLIC_URL go through app.inject; anything else (the test's OpenID provider) over fetch.

export interface WebResponse {
  url: string;
  status: number;
  headers: Headers;
  body: string;
}

export class Web {
  private jars = new Map<string, Map<string, string>>();
  constructor(
    private readonly app: App,
    private readonly admitOrigin: string,
  ) {}

  cookie(host: string, name: string): string | undefined {
    return this.jars.get(host)?.get(name);
  }

  private store(host: string, setCookies: string[]): void {
    const jar = this.jars.get(host) ?? new Map<string, string>();
    this.jars.set(host, jar);
    for (const line of setCookies) {
      const [pair = '', ...attrs] = line.split(';');
      const i = pair.indexOf('=');
      const name = pair.slice(0, i).trim();
      const gone = attrs.some((a) => /^\s*max-age=0\s*$/i.test(a));
      if (gone) jar.delete(name);
      else jar.set(name, pair.slice(i + 1).trim());
    }
  }

  async request(
    url: string,
    opts: { method?: string; form?: Record<string, string>; headers?: Record<string, string> } = {},
  ): Promise<WebResponse> {
    const u = new URL(url);
    const jar = this.jars.get(u.host);
    const headers: Record<string, string> = { ...(opts.headers ?? {}) };
    if (jar && jar.size > 0) headers.cookie = [...jar].map(([k, v]) => `${k}=${v}`).join('; ');
    const method = opts.method ?? (opts.form ? 'POST' : 'GET');
    const payload = opts.form ? new URLSearchParams(opts.form).toString() : undefined;
    if (payload !== undefined) headers['content-type'] = 'application/x-www-form-urlencoded';
    if (u.origin === this.admitOrigin) {
      const res = await this.app.inject({
        method: method as 'GET' | 'POST',
        url: u.pathname + u.search,
        headers,
        ...(payload !== undefined ? { payload } : {}),
      });
      const h = new Headers();
      for (const [k, v] of Object.entries(res.headers)) {
        if (Array.isArray(v)) for (const one of v) h.append(k, String(one));
        else if (v !== undefined) h.set(k, String(v));
      }
      this.store(u.host, h.getSetCookie());
      return { url, status: res.statusCode, headers: h, body: res.body };
    }
    const res = await fetch(url, { method, headers, body: payload ?? null, redirect: 'manual' });
    this.store(u.host, res.headers.getSetCookie());
    return { url, status: res.status, headers: res.headers, body: await res.text() };
  }

  /** GET (or the given request), then follows redirects with GET like a browser. */
  async follow(
    url: string,
    opts: { method?: string; form?: Record<string, string>; headers?: Record<string, string> } = {},
  ): Promise<WebResponse> {
    let res = await this.request(url, opts);
    for (let hops = 0; res.status >= 300 && res.status < 400; hops++) {
      if (hops > 10) throw new Error(`too many redirects from ${url}`);
      const next = new URL(String(res.headers.get('location')), res.url).href;
      res = await this.request(next);
    }
    return res;
  }
}

/** The action and hidden fields of the first form whose action matches `action`. */
export function formIn(html: string, action: RegExp): { action: string; fields: Record<string, string> } {
  for (const m of html.matchAll(/<form[^>]*action="([^"]*)"[^>]*>([\s\S]*?)<\/form>/g)) {
    const act = (m[1] ?? '').replace(/&amp;/g, '&');
    if (!action.test(act)) continue;
    const fields: Record<string, string> = {};
    for (const f of (m[2] ?? '').matchAll(
      /<input[^>]*type="hidden"[^>]*name="([^"]+)"[^>]*value="([^"]*)"/g,
    )) {
      fields[f[1] ?? ''] = (f[2] ?? '').replace(/&quot;/g, '"').replace(/&amp;/g, '&');
    }
    return { action: act, fields };
  }
  throw new Error(`no form with action ${action} in:\n${html.slice(0, 2000)}`);
}

/** Signs in at the test provider's development login form, starting from the invitation page's link. */
export async function signInAtIdp(
  web: Web,
  admit: string,
  returnTo: string,
  email: string,
): Promise<WebResponse> {
  const login = await web.follow(`${admit}/auth/sign-in?return_to=${encodeURIComponent(returnTo)}`);
  if (login.status !== 200) throw new Error(`login form: ${login.status} ${login.body.slice(0, 500)}`);
  const m = /<form[^>]*action="([^"]+)"/.exec(login.body);
  if (!m?.[1]) throw new Error(`no login form at ${login.url}:\n${login.body.slice(0, 1000)}`);
  const res = await web.follow(new URL(m[1], login.url).href, {
    form: { prompt: 'login', login: email, password: 'x' },
  });
  // another account was signed in at the provider: it ends that session first (a self-posting form)
  if (!/\/session\/end\/confirm"/.test(res.body)) return res;
  const end = formIn(res.body, /\/session\/end\/confirm$/);
  return web.follow(end.action, { form: end.fields });
}
