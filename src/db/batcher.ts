/** What one job of a batch came to: its own value or its own error. */
export type Outcome<R> = { ok: true; value: R } | { ok: false; error: unknown };

export interface BatchOptions<J, R> {
  /**
   * When the first job starts a batch: `now`, or `next-turn` (setImmediate, the event loop's check
   * phase), so that every job asked for in the same poll phase — every request whose I/O arrived
   * together — joins it.
   */
  start: 'now' | 'next-turn';
  /**
   * true: one batch at a time. Jobs that arrive while a batch runs wait, and form the next batch,
   * which starts as soon as this one has settled. false: a batch is started (as `start` says)
   * whenever a job arrives and no batch is waiting to take it; batches then queue on whatever they
   * share (the SQLite connection).
   */
  oneAtATime: boolean;
  /** at most this many jobs in one batch (default: no limit) */
  max?: number;
  /**
   * Runs one batch. Calls `take()` when it is ready for its jobs (a batch that first waits for a
   * connection takes them after the wait, so jobs that arrive meanwhile join it); `take()` called
   * again returns the same jobs (a transaction run again after a deadlock). Returns one outcome per
   * job, in order. Throwing fails every job it took, or, if it took none, every job waiting.
   */
  run(take: () => J[]): Promise<Outcome<R>[]>;
}

interface Waiting<J, R> {
  job: J;
  resolve: (value: R) => void;
  reject: (err: unknown) => void;
}

/**
 * Collects jobs and runs them together, each answered with its own outcome. No job is answered
 * before `run` has returned, so a job's result never rests on a batch that could still fail (a
 * commit that has not returned). The read batch (read-batch.ts), SQLite's group commit (tx.ts) and
 * the outbox dispatcher's settlements share this; the README beside this file says how each uses it.
 */
export function batcher<J, R>(opts: BatchOptions<J, R>): (job: J) => Promise<R> {
  const max = opts.max ?? Number.POSITIVE_INFINITY;
  let queue: Waiting<J, R>[] = [];
  // a batch is scheduled and has not taken its jobs yet (one at a time: or is still running)
  let busy = false;

  const schedule = (): void => {
    busy = true;
    const go = opts.oneAtATime ? drain : runBatch;
    if (opts.start === 'now') void go();
    else setImmediate(() => void go());
  };

  async function runBatch(): Promise<void> {
    let taken: Waiting<J, R>[] | undefined;
    const take = (): J[] => {
      if (!taken) {
        if (queue.length <= max) {
          taken = queue;
          queue = [];
        } else {
          taken = queue.splice(0, max);
        }
        if (!opts.oneAtATime) {
          busy = false;
          if (queue.length > 0) schedule();
        }
      }
      return taken.map((w) => w.job);
    };
    let outcomes: Outcome<R>[];
    try {
      outcomes = await opts.run(take);
      if (!taken) throw new Error('a batch finished without taking its jobs');
    } catch (err) {
      // failed before taking its jobs (no connection, BEGIN failed): fail those waiting rather than spin
      if (!taken) take();
      for (const w of taken ?? []) w.reject(err);
      return;
    }
    for (let i = 0; i < taken.length; i++) {
      const o = outcomes[i];
      const w = taken[i] as Waiting<J, R>;
      if (o?.ok) w.resolve(o.value);
      else w.reject(o ? o.error : new Error('a batch gave no outcome for this job'));
    }
  }

  async function drain(): Promise<void> {
    try {
      while (queue.length > 0) await runBatch();
    } finally {
      busy = false;
    }
  }

  return (job: J) =>
    new Promise<R>((resolve, reject) => {
      queue.push({ job, resolve, reject });
      if (!busy) schedule();
    });
}
