// The read ceiling: a bare Fastify route answering a small JSON object, in its own process with the
// settings the service runs with (Fastify 5, a pino logger at the same level, the same server options).
// Prints {"port": N} on stdout once listening; exits on SIGTERM.
import Fastify from 'fastify';
import pino from 'pino';

const app = Fastify({
  loggerInstance: pino({ level: process.env.LOG_LEVEL ?? 'warn' }),
  bodyLimit: 64 * 1024,
  requestTimeout: 30_000,
  connectionTimeout: 60_000,
  return503OnClosing: true,
  forceCloseConnections: 'idle',
});
const body = { id: '00000000-0000-4000-8000-000000000000', name: 'ceiling', ok: true };
app.get('/ceiling', async () => body);
await app.listen({ port: 0, host: '127.0.0.1' });
const address = app.server.address();
process.stdout.write(
  `${JSON.stringify({ port: typeof address === 'object' && address ? address.port : 0 })}\n`,
);
process.on('SIGTERM', () => app.close().then(() => process.exit(0)));
