import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { KeptAnswers } from '../../src/http/kept-answers.js';

const answer = (body: string) => ({ body, headers: {} });

describe('KeptAnswers', () => {
  it('keeps an answer with its stamp; a later answer of the key replaces it', () => {
    const kept = new KeptAnswers<number>(4);
    kept.keep('a', 1, answer('one'));
    assert.deepEqual(kept.get('a'), { body: 'one', headers: {}, stamp: 1 });
    kept.keep('a', 2, answer('two'));
    assert.deepEqual(kept.get('a'), { body: 'two', headers: {}, stamp: 2 });
  });

  it('an answer without a stamp drops what was kept under its key', () => {
    const kept = new KeptAnswers<number>(4);
    kept.keep('a', 1, answer('one'));
    kept.keep('a', null, answer('fresh'));
    assert.equal(kept.get('a'), undefined);
  });

  it('holds at most `limit` answers, dropping the oldest kept first', () => {
    const kept = new KeptAnswers<number>(2);
    kept.keep('a', 1, answer('a'));
    kept.keep('b', 1, answer('b'));
    kept.keep('a', 2, answer('a2')); // kept again: now the newest
    kept.keep('c', 1, answer('c'));
    assert.equal(kept.get('b'), undefined);
    assert.equal(kept.get('a')?.body, 'a2');
    assert.equal(kept.get('c')?.body, 'c');
  });
});
