// ceiling-fastify: the read ceiling, a bare Fastify route in its own process (bench/ceiling-fastify.mjs)
// under the same load; the read scenarios' ratios are relative to it.
import { firstLine, spawnNode, stop } from '../../scripts/proc.js';
import { measureOne } from '../measure.js';
import type { BenchOptions, ScenarioResult } from '../options.js';
import type { Load } from '../scenario.js';

const load: Load = {
  next: () => ({ method: 'GET', path: '/ceiling' }),
  expect: 200,
  check: (b) => (b as { ok?: unknown }).ok === true,
};

export async function ceilingFastify(opts: BenchOptions, name = 'ceiling-fastify'): Promise<ScenarioResult> {
  const child = spawnNode(
    'bench/ceiling-fastify.mjs',
    [],
    { LOG_LEVEL: 'warn' },
    { inheritEnv: true, stderr: 'inherit' },
  );
  try {
    const { port } = JSON.parse(await firstLine(child)) as { port: number };
    return await measureOne(name, load, { url: `http://127.0.0.1:${port}`, pid: child.child.pid ?? 0 }, opts);
  } finally {
    await stop(child, 15_000);
  }
}
