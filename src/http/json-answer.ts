import type { FastifyReply } from 'fastify';

// A JSON answer serialized once, to be sent now or again later (the admin invitation list keeps
// them: src/modules/invitations/kept-list-pages.ts).

/** A serialized JSON answer and the headers that go with it. */
export interface JsonAnswer {
  /** the JSON text, or its UTF-8 bytes */
  body: string | Buffer;
  headers: Record<string, string>;
}

export function sendJson(reply: FastifyReply, answer: JsonAnswer): FastifyReply {
  reply.headers(answer.headers);
  return reply.type('application/json; charset=utf-8').send(answer.body);
}
