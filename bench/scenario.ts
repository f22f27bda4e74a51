// The shape of a bench scenario (one file each in bench/scenarios/) and the world it runs in.
import type { AutocannonRequest } from 'autocannon';
import type { Runtime } from '../src/runtime.js';
import type { Target } from './measure.js';
import type { BenchOptions, ScenarioResult } from './options.js';
import type { Api } from './seed.js';

/** What a request was built with, handed back with its response (autocannon's per-request context). */
export type RequestContext = Record<string, unknown>;

/** The requests of a scenario, as the load generator drives them. */
export interface Requests {
  /** builds the next request; null = pool exhausted (the run stops early) */
  next(context: RequestContext): AutocannonRequest | null;
  /** the status every response must have */
  expect: number;
  /** sees every response with the intended status (e.g. to collect created tokens) */
  onOk?(body: string, context: RequestContext): void;
}

/** Requests plus the check of a sampled body: what measure.ts drives. */
export interface Load extends Requests {
  /** checks a parsed body; context is the one the request was built with */
  check(body: unknown, context: RequestContext): boolean;
}

export interface Invitee {
  email: string;
  bearer: string;
}

/** The server under test and what the shared seed (seed.ts) made in it. */
export interface World {
  opts: BenchOptions;
  /** the Admit server's base URL (the first process's, for seeding) */
  url: string;
  /** every Admit server process, which the measured load is spread over */
  targets: Target[];
  api: Api;
  /** this process's runtime on the same database (migrations, the issuer's keys, bulk inserts) */
  rt: Runtime;
  /** a bearer token for the email, signed by the built-in issuer the server trusts */
  sign(email: string): Promise<string>;
  /** the owner's bearer token and user id: every organization below is theirs */
  owner: string;
  ownerId: string;
  orgs: { main: string; sideA: string; sideB: string; big: string; small: string; creates: string };
  /** the names of the organizations each invitee is invited to */
  orgNames: Map<string, string>;
  /** one pending invitation per invitee and organization (main, side A, side B) */
  previewTokens: { token: string; email: string; org: string }[];
  inviteeTokens: Invitee[];
  /** invitations the create scenario made, which accept accepts */
  created: { token: string; email: string }[];
  /** the results emitted so far (accept sizes its pool by create's rate) */
  results: ScenarioResult[];
  /** where the scoped caller's bulk rows end (default: now); --scale puts them before the big list's */
  scopedNewest?: number;
}

export interface Scenario {
  name: string;
  /** another scenario this one needs run first (accept uses what create made) */
  requires?: string;
  /** writes what this scenario reads; runs for every chosen scenario before the first is measured */
  seed?(world: World): Promise<void>;
  /** the requests, built just before this scenario is measured */
  load(world: World): Requests | Promise<Requests>;
  /** checks a sampled response body (one in ten) against its request's context */
  check(body: unknown, context: RequestContext, world: World): boolean;
}
