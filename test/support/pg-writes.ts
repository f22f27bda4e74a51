import net from 'node:net';

/** Counts the writes to PostgreSQL's port while `run` runs. */
export async function writesDuring<T>(
  port: number,
  run: () => Promise<T>,
): Promise<{ writes: number; value: T }> {
  const proto = net.Socket.prototype as unknown as Record<'_write' | '_writev', (...a: unknown[]) => unknown>;
  const originals = { _write: proto._write, _writev: proto._writev };
  let writes = 0;
  for (const name of ['_write', '_writev'] as const) {
    const original = originals[name];
    proto[name] = function (this: net.Socket, ...args: unknown[]) {
      if (this.remotePort === port) writes++;
      return original.apply(this, args);
    };
  }
  try {
    const value = await run();
    return { writes, value };
  } finally {
    proto._write = originals._write;
    proto._writev = originals._writev;
  }
}
