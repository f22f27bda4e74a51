import type { SweepReport } from '../modules/retention/sweep.service.js';

// Runs the retention sweep (src/modules/retention/) every SWEEP_INTERVAL in the server and in
// `admit worker`, one pass at a time; `admit sweep` runs one pass and exits. Several processes may
// sweep at once (the sweep is safe so), so each just runs on its own interval.

export interface Sweeper {
  /** stops the interval and waits for a pass in progress */
  stop(): Promise<void>;
}

export function startSweeper(
  sweep: () => Promise<SweepReport>,
  intervalMs: number,
  logger: { info(obj: object, msg: string): void; error(obj: object, msg: string): void },
): Sweeper {
  let running: Promise<void> | undefined;
  const pass = () => {
    if (running) return;
    running = sweep()
      .then((report) => {
        if (Object.values(report).some((n) => n > 0)) logger.info(report, 'retention sweep');
      })
      .catch((err: unknown) => logger.error({ err }, 'retention sweep failed; the next pass tries again'))
      .finally(() => {
        running = undefined;
      });
  };
  const timer = setInterval(pass, intervalMs);
  timer.unref();
  // a first pass soon after start, off the start-up path
  const first = setTimeout(pass, Math.min(intervalMs, 5_000));
  first.unref();
  return {
    async stop() {
      clearInterval(timer);
      clearTimeout(first);
      await running;
    },
  };
}
