import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';

// GET /dev/mailbox (SPEC §7): the dev mailbox's messages, newest first. Registered only when there is
// no SMTP_URL and the server listens on loopback; anywhere else the route does not exist (404). The
// messages hold live invitation links, so they are never cached.

const Message = Type.Object({
  messageId: Type.String(),
  from: Type.String(),
  to: Type.String(),
  subject: Type.String(),
  text: Type.String(),
  html: Type.String(),
  receivedAt: Type.String({ format: 'date-time' }),
});

export function isLoopbackHost(host: string): boolean {
  const h = host
    .trim()
    .toLowerCase()
    .replace(/^\[|\]$/g, '');
  return (
    h === 'localhost' || h === '::1' || /^127(\.\d{1,3}){3}$/.test(h) || /^::ffff:127(\.\d{1,3}){3}$/.test(h)
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
      async (_req, reply) => {
        reply.header('cache-control', 'no-store');
        reply.header('referrer-policy', 'no-referrer');
        return { messages: list() };
      },
    );
  };
