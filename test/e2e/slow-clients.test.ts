import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { LIMITS_OFF } from '../../scripts/limits-off.js';
import { ensureBuilt, freePort } from '../../scripts/proc.js';
import { TEST_SECRET } from '../support/app.js';
import { freshDatabase } from '../support/db.js';
import { type ServerProcess, startServer } from '../support/servers.js';

// A slow client cannot hold a connection for ever (RELIABILITY-PLAN API4, Fastify's timeouts default
// to none): headers dribbled byte by byte, a body dribbled after complete headers, a silent socket and
// an idle keep-alive connection are each cut by the server. The timeouts come from HTTP_* variables,
// set short here; the client would go on for 15 s (the defaults would hold it 30–60 s), so "cut off" means the server hung up first.
// The server is the real one in its own process on loopback; the database plays no part (SQLite only).

const DRIP_EVERY_MS = 200;
const MAX_DRIPS = 75; // 15 s of dribbling: five times the longest timeout configured below

interface Outcome {
  /** what the server sent back before it closed */
  answer: string;
  /** bytes the client had dribbled when the connection ended */
  drips: number;
  /** the server closed the connection (false: the client gave up after MAX_DRIPS) */
  cut: boolean;
  elapsedMs: number;
}

/** Opens a socket, writes `head`, then one `drip` every DRIP_EVERY_MS until the server hangs up. */
function slowClient(port: number, head: string, drip: string | undefined): Promise<Outcome> {
  return new Promise((resolve) => {
    const started = Date.now();
    let answer = '';
    let drips = 0;
    let cut = true;
    const socket = connect(port, '127.0.0.1', () => {
      if (head) socket.write(head);
    });
    const timer = setInterval(() => {
      if (drips >= MAX_DRIPS) {
        cut = false;
        socket.destroy();
        return;
      }
      drips++;
      if (drip !== undefined && socket.writable) socket.write(drip);
    }, DRIP_EVERY_MS);
    socket.on('data', (d) => {
      answer += String(d);
    });
    socket.on('error', () => undefined); // a write after the server's close: the close is what counts
    socket.on('close', () => {
      clearInterval(timer);
      resolve({ answer, drips, cut, elapsedMs: Date.now() - started });
    });
  });
}

describe('slow clients are cut off (HTTP_* timeouts)', () => {
  let server: ServerProcess;
  let port: number;

  before(async () => {
    ensureBuilt();
    const { url } = await freshDatabase('sqlite');
    port = await freePort();
    server = await startServer(
      {
        DATABASE_URL: url,
        ADMIT_SECRET: TEST_SECRET,
        ...LIMITS_OFF,
        LOG_LEVEL: 'warn',
        HTTP_HEADERS_TIMEOUT: '1s',
        HTTP_REQUEST_TIMEOUT: '2s',
        HTTP_IDLE_TIMEOUT: '3s',
        HTTP_KEEP_ALIVE_TIMEOUT: '1s',
      },
      port,
    );
  });
  after(() => server?.stop());

  const report = (what: string, o: Outcome) =>
    console.log(`slow client (${what}): cut after ${o.elapsedMs} ms, ${o.drips} bytes dribbled`);

  it('headers sent one byte at a time: 408 and the connection closed (headers timeout)', async () => {
    const o = await slowClient(port, 'GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ', 'a');
    report('headers', o);
    assert.ok(o.cut, `the server held the connection for ${o.elapsedMs} ms`);
    assert.match(o.answer, /^HTTP\/1\.1 408 /);
  });

  it('complete headers, then a body one byte at a time: the connection closed (request timeout)', async () => {
    const head =
      'POST /v1/organizations HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n' +
      'Content-Length: 10000\r\n\r\n{"name":"';
    const o = await slowClient(port, head, 'a');
    report('body', o);
    assert.ok(o.cut, `the server held the connection for ${o.elapsedMs} ms`);
    assert.doesNotMatch(o.answer, /^HTTP\/1\.1 [25]\d\d /, 'never handled, never a 5xx');
  });

  it('a socket that sends nothing is closed', async () => {
    const o = await slowClient(port, '', undefined);
    report('silent', o);
    assert.ok(o.cut, `the server held a silent connection for ${o.elapsedMs} ms`);
  });

  it('an idle keep-alive connection is closed after its request was answered', async () => {
    const o = await slowClient(port, 'GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n', undefined);
    report('keep-alive', o);
    assert.match(o.answer, /^HTTP\/1\.1 200 /);
    assert.ok(o.cut, `the server kept an idle connection for ${o.elapsedMs} ms`);
  });
});
