import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { KeptPages, listPageKey } from '../../src/modules/invitations/kept-list-pages.js';

const stamp = (version: number) => ({ version, until: Number.POSITIVE_INFINITY });

describe('listPageKey', () => {
  it('a query field added later changes the key, whatever its name', () => {
    const query = { limit: 50, status: 'pending', cursor: 'abc' };
    const base = listPageKey('org-1', query);
    assert.notEqual(listPageKey('org-1', { ...query, sort: 'email' }), base);
    assert.notEqual(listPageKey('org-1', { ...query, fields: ['id', 'email'] }), base);
    assert.notEqual(listPageKey('org-1', { ...query, filter: { role: 'admin' } }), base);
    // and each of its values is its own key
    assert.notEqual(
      listPageKey('org-1', { ...query, filter: { role: 'admin' } }),
      listPageKey('org-1', { ...query, filter: { role: 'member' } }),
    );
  });

  it('every field and the organization take part; the order fields arrive in does not', () => {
    const key = listPageKey('org-1', { limit: 50, status: 'pending' });
    assert.equal(listPageKey('org-1', { status: 'pending', limit: 50 }), key);
    assert.notEqual(listPageKey('org-2', { limit: 50, status: 'pending' }), key);
    assert.notEqual(listPageKey('org-1', { limit: 51, status: 'pending' }), key);
    assert.notEqual(listPageKey('org-1', { limit: 50, status: 'expired' }), key);
    assert.notEqual(listPageKey('org-1', { limit: 50 }), key);
    assert.notEqual(listPageKey('org-1', { limit: 50, status: 'pending', cursor: 'x' }), key);
    // a value cannot pose as another field: '50' is not 50
    assert.notEqual(listPageKey('org-1', { limit: '50', status: 'pending' }), key);
  });
});

describe('KeptPages', () => {
  it('keeps an answer with its stamp; a later answer of the key replaces it', () => {
    const kept = new KeptPages<string>(4);
    kept.keep('a', stamp(1), 'one');
    assert.deepEqual(kept.get('a'), { stamp: stamp(1), answer: 'one' });
    kept.keep('a', stamp(2), 'two');
    assert.deepEqual(kept.get('a'), { stamp: stamp(2), answer: 'two' });
  });

  it('an answer without a stamp drops what was kept under its key', () => {
    const kept = new KeptPages<string>(4);
    kept.keep('a', stamp(1), 'one');
    kept.keep('a', null, 'fresh');
    assert.equal(kept.get('a'), undefined);
  });

  it('holds at most `limit` answers, dropping the oldest kept first', () => {
    const kept = new KeptPages<string>(2);
    kept.keep('a', stamp(1), 'a');
    kept.keep('b', stamp(1), 'b');
    kept.keep('a', stamp(2), 'a2'); // kept again: now the newest
    kept.keep('c', stamp(1), 'c');
    assert.equal(kept.get('b'), undefined);
    assert.equal(kept.get('a')?.answer, 'a2');
    assert.equal(kept.get('c')?.answer, 'c');
  });

  it('admits a key the second time it is asked for, or while it is held', () => {
    const kept = new KeptPages<string>(2);
    assert.equal(kept.admits('a'), false, 'asked once: not kept');
    assert.equal(kept.admits('a'), true, 'asked again: kept');
    kept.keep('a', stamp(1), 'a');
    assert.equal(kept.admits('a'), true, 'held: kept again');
    assert.equal(kept.admits('a'), true);
  });

  it('a walk through many pages asked once each leaves the kept pages and admits none of them', () => {
    const kept = new KeptPages<string>(2);
    kept.admits('first');
    assert.equal(kept.admits('first'), true);
    kept.keep('first', stamp(1), 'first page');
    for (let n = 0; n < 100; n++) {
      const key = `deep-${n}`;
      assert.equal(kept.admits(key), false, key);
      kept.keep(key, null, 'read afresh');
    }
    assert.equal(kept.get('first')?.answer, 'first page', 'the page asked again and again stays');
    // remembered: at most four times as many keys as are kept, the oldest forgotten first
    assert.equal(kept.admits('deep-99'), true);
    assert.equal(kept.admits('deep-91'), false, 'forgotten: more than 8 keys ago');
  });
});
