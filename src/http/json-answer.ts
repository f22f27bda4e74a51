import type { FastifyReply } from 'fastify';

// A JSON answer serialized once, to be sent now or again later (the admin invitation list keeps
// them: src/modules/invitations/kept-list-pages.ts).

/** A serialized JSON answer and the headers that go with it. */
export interface JsonAnswer {
  body: string;
  headers: Record<string, string>;
}

/** The route's own response-schema serializer for `status` (Fastify types its input as an object). */
export function serializeFor(reply: FastifyReply, status: number, payload: unknown): string {
  const serialize = reply.getSerializationFunction(String(status)) as ((p: unknown) => string) | undefined;
  if (!serialize) throw new Error(`route has no ${status} response schema`);
  return serialize(payload);
}

export function sendJson(reply: FastifyReply, answer: JsonAnswer): FastifyReply {
  reply.headers(answer.headers);
  return reply.type('application/json; charset=utf-8').send(answer.body);
}
