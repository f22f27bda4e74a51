import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyReply } from 'fastify';
import { Type } from 'typebox';
import { commonErrors } from '../../errors.js';
import { escapeHtml as e, HTML_HEADERS, htmlPage } from '../../http/html.js';
import { isLocalRequest } from '../../http/loopback.js';

// GET /dev/mailbox (SPEC §7): the dev mailbox's messages, newest first. Registered only when there is
// no SMTP_URL, the server listens on loopback and DEV_MAILBOX is not `off`; anywhere else the route
// does not exist (404). Listening on loopback is not enough on its own: a reverse proxy on the same
// host forwards strangers from a loopback address, and a web page can rebind its own host name to
// 127.0.0.1 (DNS rebinding). So each request must come from a loopback peer, name a loopback host in
// `Host`, and carry no proxy header; anything else gets the same 404 as a missing route. The
// messages hold live invitation links, so they are never cached. A browser (Accept: text/html) gets
// a page with each message readable and its links clickable, so the quick start needs no SMTP server;
// anything else gets JSON.

const Message = Type.Object({
  messageId: Type.String(),
  from: Type.String(),
  to: Type.String(),
  subject: Type.String(),
  text: Type.String(),
  html: Type.String(),
  receivedAt: Type.String({ format: 'date-time' }),
});

type Message = Type.Static<typeof Message>;

/** The text part, escaped, with its http(s) links clickable. */
function linkified(text: string): string {
  return e(text).replace(/https?:\/\/[^\s<>"]+/g, (url) => `<a href="${url}">${url}</a>`);
}

function mailboxHtml(messages: Message[]): string {
  const items = messages.map(
    (m, i) =>
      `<details class="mail"${i === 0 ? ' open' : ''}><summary><strong>${e(m.subject)}</strong> ` +
      `<span class="muted">to ${e(m.to)} · <time datetime="${e(m.receivedAt)}">${e(m.receivedAt.replace('T', ' ').slice(0, 19))} UTC</time></span></summary>` +
      `<pre>${linkified(m.text)}</pre></details>`,
  );
  return (
    '<h1>Development mailbox</h1>' +
    '<p class="muted">Mail Admit sent while no SMTP_URL is set, newest first (the last 100). ' +
    'Reload the page to see new messages. JSON: <code>Accept: application/json</code>.</p>' +
    (items.length > 0 ? items.join('') : '<p>No messages yet.</p>')
  );
}

export const mailboxRoutes =
  (list: () => Array<Type.Static<typeof Message>>): FastifyPluginAsyncTypebox =>
  async (app) => {
    app.get(
      '/dev/mailbox',
      {
        schema: {
          operationId: 'devMailbox',
          summary:
            'The development mailbox (no SMTP_URL, loopback only): the last 100 messages, newest first',
          tags: ['system'],
          response: { 200: Type.Object({ messages: Type.Array(Message) }) },
        },
      },
      async (req, reply) => {
        if (!isLocalRequest(req)) throw commonErrors.routeNotFound();
        reply.header('cache-control', 'no-store');
        reply.header('referrer-policy', 'no-referrer');
        if (/\btext\/html\b/.test(req.headers.accept ?? '')) {
          // the typed reply only knows the JSON shape; the HTML view is this route's other representation
          return (reply as FastifyReply)
            .headers(HTML_HEADERS)
            .send(htmlPage('Development mailbox', mailboxHtml(list()), { wide: true }));
        }
        return { messages: list() };
      },
    );
  };
