import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { batcher, type Outcome } from '../../src/db/batcher.js';

// The primitive behind the read batch, group commit and the outbox settlements (src/db/README.md).

const ok = <R>(value: R): Outcome<R> => ({ ok: true, value });

describe('batcher', () => {
  it('runs the jobs asked for in one turn as one batch, answering each with its own outcome', async () => {
    const batches: number[][] = [];
    const square = batcher<number, number>({
      start: 'next-turn',
      oneAtATime: false,
      run: async (take) => {
        const jobs = take();
        batches.push(jobs);
        return jobs.map((n) => (n < 0 ? { ok: false, error: new Error(`negative ${n}`) } : ok(n * n)));
      },
    });
    const answers = await Promise.allSettled([square(2), square(-1), square(3)]);
    assert.deepEqual(batches, [[2, -1, 3]]);
    assert.deepEqual(answers[0], { status: 'fulfilled', value: 4 });
    assert.equal(answers[1]?.status === 'rejected' && answers[1].reason.message, 'negative -1');
    assert.deepEqual(answers[2], { status: 'fulfilled', value: 9 });
  });

  it('one at a time: jobs that arrive while a batch runs form the next, at most max each', async () => {
    const batches: string[][] = [];
    let release: () => void = () => undefined;
    const gate = new Promise<void>((r) => {
      release = r;
    });
    const echo = batcher<string, string>({
      start: 'now',
      oneAtATime: true,
      max: 2,
      run: async (take) => {
        if (batches.length === 0) await gate;
        const jobs = take();
        batches.push(jobs);
        return jobs.map(ok);
      },
    });
    const first = echo('a');
    const later = ['b', 'c', 'd'].map((s) => echo(s));
    release();
    assert.deepEqual(await Promise.all([first, ...later]), ['a', 'b', 'c', 'd']);
    // the first batch took its jobs after its wait, so b joined it
    assert.deepEqual(batches, [
      ['a', 'b'],
      ['c', 'd'],
    ]);
  });

  it('a batch run again takes the same jobs; one that fails before taking fails those waiting', async () => {
    const retried = batcher<number, number>({
      start: 'now',
      oneAtATime: true,
      run: async (take) => {
        take(); // a first attempt, which failed after taking its jobs
        return take().map(ok);
      },
    });
    assert.equal(await retried(7), 7);

    const failing = batcher<number, number>({
      start: 'next-turn',
      oneAtATime: true,
      run: async () => {
        throw new Error('no connection');
      },
    });
    const results = await Promise.allSettled([failing(1), failing(2)]);
    assert.deepEqual(
      results.map((r) => r.status === 'rejected' && r.reason.message),
      ['no connection', 'no connection'],
    );
  });
});
