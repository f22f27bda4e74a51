import type { ChildProcess } from 'node:child_process';
import { spawnNode, stop, waitForHttp } from '../../scripts/proc.js';

export interface ServerProcess {
  base: string;
  child: ChildProcess;
  output: () => string;
  stop(): Promise<void>;
}

/** `node dist/main.js` with this process's environment and env, waiting until /healthz answers. */
export async function startServer(env: Record<string, string>, port: number): Promise<ServerProcess> {
  const proc = spawnNode(
    'dist/main.js',
    [],
    { ...env, PORT: String(port), HOST: '127.0.0.1' },
    { inheritEnv: true },
  );
  const base = `http://127.0.0.1:${port}`;
  try {
    await waitForHttp(`${base}/healthz`, proc);
  } catch (err) {
    await stop(proc, 0);
    throw err;
  }
  return { base, child: proc.child, output: proc.output, stop: () => stop(proc) };
}
