import assert from 'node:assert/strict';
import type { LightMyRequestResponse } from 'fastify';
import type { TestApp } from './app.js';
import { checkedClient } from './contract.js';
import type { Actor } from './fixtures.js';

// Helpers for the admin API (seed 003) tests: actors whose every response is contract-checked.

export async function checkedActor(
  t: TestApp,
  email: string,
  opts: { name?: string; admin?: boolean; emailVerified?: boolean } = {},
): Promise<Actor> {
  const token = await t.token(email, opts);
  return { email, token, api: checkedClient(t.app, token) };
}

/** Asserts an application/problem+json error with the status and stable code. */
export function assertProblem(res: LightMyRequestResponse, status: number, code?: string): void {
  assert.equal(res.statusCode, status, res.body);
  assert.match(String(res.headers['content-type']), /^application\/problem\+json/);
  const body = JSON.parse(res.body) as { status: number; code: string; type: string; title: string };
  assert.equal(body.status, status);
  assert.match(body.code, /^[a-z][a-z0-9_]*$/);
  if (code) assert.equal(body.code, code, res.body);
}

export const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
export const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
