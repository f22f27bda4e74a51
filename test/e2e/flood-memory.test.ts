import assert from 'node:assert/strict';
import { randomBytes, randomInt } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { ensureBuilt, freePort } from '../../scripts/proc.js';
import { loadConfig } from '../../src/config.js';
import { createLogger, createRuntime, type Runtime } from '../../src/runtime.js';
import { TEST_SECRET } from '../support/app.js';
import { freshDatabase, STRESS } from '../support/db.js';
import { type ServerProcess, startServer } from '../support/servers.js';

// Bounded under attack (RELIABILITY-PLAN case 54): a flood of random invitation tokens from random
// client addresses (each a new rate-limit bucket, as TRUST_PROXY believes X-Forwarded-For), random
// bearer tokens, and creates to random recipients refused by the inviter quota, against the real server
// in its own process. Its resident memory after the flood stays within a ceiling of its size after
// a warm-up of the same traffic. The stores in question are in memory, so SQLite alone serves.

const WARM_UP = 2_000;
const FLOOD = STRESS ? 100_000 : 8_000;
const CONCURRENCY = 16;
/** RELIABILITY-PLAN case 54's bound */
const CEILING_MB = 50;

function rssMb(pid: number): number {
  const kb = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
  assert.ok(kb, 'VmRSS readable');
  return Number(kb) / 1024;
}

const randomIp = () => `${randomInt(1, 224)}.${randomInt(256)}.${randomInt(256)}.${randomInt(1, 255)}`;
const b64 = (n: number) => randomBytes(n).toString('base64url');

describe('memory stays bounded under a flood of random tokens, addresses and recipients', () => {
  let server: ServerProcess;
  let observer: Runtime;
  let owner: string;
  let orgId: string;

  before(async () => {
    ensureBuilt();
    const { url } = await freshDatabase('sqlite');
    const env = {
      DATABASE_URL: url,
      ADMIT_SECRET: TEST_SECRET,
      PUBLIC_URL: 'http://admit.test',
      LOG_LEVEL: 'warn',
      RATE_LIMIT_PUBLIC: '5/1m',
      TRUST_PROXY: '127.0.0.1',
      INVITE_QUOTA_INVITER: '1/1d',
    };
    server = await startServer(env, await freePort());
    const config = loadConfig({ ...env, LOG_LEVEL: 'silent' });
    observer = await createRuntime(config, { logger: createLogger(config) });
    owner = await observer.issuer!.sign({
      email: 'owner@example.com',
      name: null,
      admin: false,
      emailVerified: true,
      ttlSeconds: 3600,
    });
    const res = await fetch(`${server.base}/v1/organizations`, {
      method: 'POST',
      headers: { authorization: `Bearer ${owner}`, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'Flooded' }),
    });
    assert.equal(res.status, 201);
    orgId = ((await res.json()) as { id: string }).id;
  });
  after(async () => {
    await server?.stop();
    await observer?.close();
  });

  /** One request of the attack mix; answers its status. */
  async function attack(i: number): Promise<number> {
    const kind = i % 5;
    if (kind < 3) {
      const res = await fetch(`${server.base}/api/v1/invitations/inv_${b64(32)}`, {
        headers: { 'x-forwarded-for': randomIp() },
      });
      await res.arrayBuffer();
      return res.status;
    }
    if (kind === 3) {
      const res = await fetch(`${server.base}/v1/organizations`, {
        headers: { authorization: `Bearer ${b64(20)}.${b64(200)}.${b64(64)}` },
      });
      await res.arrayBuffer();
      return res.status;
    }
    const res = await fetch(`${server.base}/v1/organizations/${orgId}/invitations`, {
      method: 'POST',
      headers: { authorization: `Bearer ${owner}`, 'content-type': 'application/json' },
      body: JSON.stringify({ email: `${b64(9)}@victim.example`, role: 'member', sendEmail: false }),
    });
    await res.arrayBuffer();
    return res.status;
  }

  async function flood(count: number, tally: Map<number, number>): Promise<void> {
    let next = 0;
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        while (next < count) {
          const status = await attack(next++);
          tally.set(status, (tally.get(status) ?? 0) + 1);
        }
      }),
    );
  }

  it(`grows less than ${CEILING_MB} MB over ${FLOOD.toLocaleString('en')} requests, answering only 201, 401, 404 and 429`, async () => {
    const pid = server.child.pid;
    assert.ok(pid);
    const tally = new Map<number, number>();
    await flood(WARM_UP, tally);
    const before = rssMb(pid);
    await flood(FLOOD, tally);
    const afterFlood = rssMb(pid);
    const statuses = [...tally].sort(([a], [b]) => a - b).map(([s, n]) => `${s}×${n}`);
    console.log(
      `flood: ${WARM_UP + FLOOD} requests (${statuses.join(' ')}); RSS ${before.toFixed(1)} MB → ${afterFlood.toFixed(1)} MB`,
    );
    assert.deepEqual(
      [...tally.keys()].filter((s) => ![201, 401, 404, 429].includes(s)),
      [],
      'no other status, never a 5xx',
    );
    assert.equal(tally.get(201), 1, 'the inviter quota let one create through');
    assert.ok(afterFlood - before < CEILING_MB, `RSS grew ${(afterFlood - before).toFixed(1)} MB`);
  });
});
