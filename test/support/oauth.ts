import assert from 'node:assert/strict';
import * as oidc from 'openid-client';
import type { App } from '../../src/app.js';
import { createClientsStore, type NewClient } from '../../src/oauth/clients.js';
import { createOutbox, type Outbox } from '../../src/outbox/outbox.js';
import type { TestApp } from './app.js';

// OAuth2 test support: openid-client as the standards client, its requests answered in-process by
// app.inject (no socket, no name resolution), and a cookie-keeping "browser" that walks the sign-in
// pages over HTTP, reading the mailed code from the dev mailbox after one dispatcher pass.

export function injectFetch(app: App): oidc.CustomFetch {
  return async (url, options) => {
    const u = new URL(url);
    const res = await app.inject({
      method: options.method as 'GET' | 'POST',
      url: u.pathname + u.search,
      headers: options.headers,
      ...(options.body !== undefined && options.body !== null ? { payload: String(options.body) } : {}),
    });
    const headers = new Headers();
    for (const [k, v] of Object.entries(res.headers)) {
      for (const one of Array.isArray(v) ? v : [v]) if (one !== undefined) headers.append(k, String(one));
    }
    return new Response(res.statusCode === 204 ? null : res.body, { status: res.statusCode, headers });
  };
}

/** Discovery and every later request go through app.inject. */
export async function discover(
  t: TestApp,
  clientId: string,
  secret?: string,
  auth?: oidc.ClientAuth,
): Promise<oidc.Configuration> {
  return oidc.discovery(new URL(t.config.publicUrl), clientId, secret, auth, {
    execute: [oidc.allowInsecureRequests],
    [oidc.customFetch]: injectFetch(t.app),
  });
}

export function registerClient(t: TestApp, input: Partial<NewClient> & { name?: string }) {
  return createClientsStore(t.rt.db).create(
    {
      name: input.name ?? 'Test client',
      redirectUris: input.redirectUris ?? [],
      public: input.public ?? false,
      admin: input.admin ?? false,
      organization: input.organization,
    },
    t.clock.now(),
  );
}

/** A browser without JavaScript: follows redirects within Admit, keeps cookies, submits forms. */
export class Browser {
  private cookies = new Map<string, string>();
  readonly outbox: Outbox;

  constructor(private readonly t: TestApp) {
    this.outbox = createOutbox(t.rt);
  }

  async request(method: 'GET' | 'POST', path: string, form?: Record<string, string>) {
    const res = await this.t.app.inject({
      method,
      url: path,
      headers: {
        cookie: [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; '),
        ...(form ? { 'content-type': 'application/x-www-form-urlencoded' } : {}),
      },
      ...(form ? { payload: new URLSearchParams(form).toString() } : {}),
    });
    const set = res.headers['set-cookie'];
    for (const c of Array.isArray(set) ? set : set ? [set] : []) {
      const [pair] = c.split(';');
      const eq = pair?.indexOf('=') ?? -1;
      if (!pair || eq < 0) continue;
      const value = pair.slice(eq + 1);
      if (value === '' || /expires=Thu, 01 Jan 1970/i.test(c)) this.cookies.delete(pair.slice(0, eq));
      else this.cookies.set(pair.slice(0, eq), value);
    }
    return res;
  }

  /** Follows redirects on Admit's own origin; returns the last answer and the URL that left Admit, if any. */
  async follow(method: 'GET' | 'POST', path: string, form?: Record<string, string>) {
    let res = await this.request(method, path, form);
    const origin = new URL(this.t.config.publicUrl).origin;
    for (let hops = 0; hops < 10 && res.statusCode >= 300 && res.statusCode < 400; hops++) {
      const target = new URL(String(res.headers.location), origin);
      if (target.origin !== origin) return { res, left: target };
      res = await this.request('GET', target.pathname + target.search);
    }
    return { res, left: undefined };
  }

  /** Delivers queued mail into the dev mailbox and returns the newest sign-in code sent to `email`. */
  async mailedCode(email: string): Promise<string> {
    await this.outbox.dispatcher.runOnce();
    const mail = this.outbox.mailbox?.list().find((m) => m.to === email && /sign-in code/.test(m.subject));
    assert.ok(mail, `no sign-in code mailed to ${email}`);
    const code = /\b(\d{8})\b/.exec(mail.text)?.[1];
    assert.ok(code, 'the mail carries an 8-digit code');
    return code;
  }

  /**
   * Walks an authorization request through the sign-in pages, as someone not signed in yet: email,
   * mailed code, implicit consent.
   * Returns the redirect back to the client (carrying code or error).
   */
  async signIn(authorizationUrl: URL, email: string): Promise<URL> {
    this.cookies.clear(); // a new person at this browser: no provider session yet
    const start = await this.follow('GET', authorizationUrl.pathname + authorizationUrl.search);
    assert.equal(start.res.statusCode, 200, start.res.body);
    const uid = /action="\/oauth\/interaction\/([^/"]+)\/email"/.exec(start.res.body)?.[1];
    assert.ok(uid, 'the email form');
    const sent = await this.follow('POST', `/oauth/interaction/${uid}/email`, { email });
    assert.equal(sent.res.statusCode, 200, sent.res.body);
    assert.match(sent.res.body, /Check your email/);
    const done = await this.follow('POST', `/oauth/interaction/${uid}/code`, {
      code: await this.mailedCode(email.toLowerCase()),
    });
    assert.ok(done.left, `left Admit for the client: ${done.res.statusCode} ${done.res.body.slice(0, 300)}`);
    return done.left;
  }

  close(): Promise<void> {
    return this.outbox.close(0);
  }
}
