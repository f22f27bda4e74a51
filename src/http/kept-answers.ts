import type { FastifyReply } from 'fastify';

/** A serialized JSON answer and the headers that go with it. */
export interface JsonAnswer {
  body: string;
  headers: Record<string, string>;
}

/**
 * Serialized answers kept by key, each with the stamp its service gave (what to check before
 * answering it again). Bounded: the oldest goes first. The route asks the service whether a kept
 * stamp still holds; this only stores.
 */
export class KeptAnswers<Stamp> {
  readonly #answers = new Map<string, JsonAnswer & { stamp: Stamp }>();
  constructor(readonly limit: number) {}

  get(key: string): (JsonAnswer & { stamp: Stamp }) | undefined {
    return this.#answers.get(key);
  }

  /** Keeps the answer under its stamp; without one (not reusable) drops whatever was kept. */
  keep(key: string, stamp: Stamp | null, answer: JsonAnswer): void {
    this.#answers.delete(key);
    if (stamp === null) return;
    if (this.#answers.size >= this.limit) this.#answers.delete(this.#answers.keys().next().value as string);
    this.#answers.set(key, { ...answer, stamp });
  }
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
