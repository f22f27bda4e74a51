import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { type CheckedRow, checkedPage } from '../../src/modules/invitations/list-page-order.js';

// checkedPage takes a page the database folded in arrival order only when the keys folded beside it
// show page order. The databases have always folded in order, so the refusals are reached here: keys
// out of order, tied, of another width; and the look-ahead item cut off whatever its text holds.

interface Row {
  createdAt: number;
  id: string;
  email: string;
}

const key = (r: Row) => `${String(r.createdAt).padStart(20, '0')}${r.id}`;
const json = (r: Row) => `{"id":${JSON.stringify(r.id)},"email":${JSON.stringify(r.email)}}`;
const fold = (rows: Row[]): CheckedRow => ({
  items: rows.length ? rows.map(json).join(',') : null,
  keys: rows.length ? rows.map(key).join('') : null,
  n: rows.length,
  pending_until: null,
});
const newestFirst = (a: Row, b: Row) => (key(a) < key(b) ? 1 : key(a) > key(b) ? -1 : 0);

/** distinct rows, newest first; emails that hold the item's own start, escaped as JSON escapes it */
const rows = fc
  .uniqueArray(
    fc.record({
      createdAt: fc.integer({ min: 0, max: 4_102_444_800_000 }),
      id: fc.uuid(),
      email: fc.oneof(fc.string({ unit: 'binary', maxLength: 20 }), fc.constant(',{"id":"x"}')),
    }),
    { selector: (r) => r.id, maxLength: 12 },
  )
  .map((rs) => rs.sort(newestFirst));

describe('checkedPage (a page folded in arrival order, used only when shown in order)', () => {
  it('a page in order: its items, the look-ahead one cut off, and the cursor of the last', () => {
    fc.assert(
      fc.property(rows, fc.integer({ min: 1, max: 12 }), (all, limit) => {
        const read = all.slice(0, limit + 1);
        const page = checkedPage(fold(read), limit);
        const shown = read.slice(0, limit);
        assert.ok(page);
        assert.deepEqual(JSON.parse(`[${page.marked}]`), JSON.parse(`[${shown.map(json).join(',')}]`));
        const last = shown[shown.length - 1];
        assert.deepEqual(
          page.next,
          read.length > limit && last ? { createdAt: last.createdAt, id: last.id } : null,
        );
      }),
    );
  });

  it('refuses a page whose keys do not strictly descend', () => {
    fc.assert(
      fc.property(
        rows.filter((r) => r.length >= 2),
        fc.nat(),
        (all, at) => {
          const i = at % (all.length - 1);
          const swapped = [...all];
          [swapped[i], swapped[i + 1]] = [swapped[i + 1] as Row, swapped[i] as Row];
          assert.equal(checkedPage(fold(swapped), all.length), null);
          const tied = [...all];
          tied[i + 1] = tied[i] as Row;
          assert.equal(checkedPage(fold(tied), all.length), null);
        },
      ),
    );
  });

  it('refuses keys of another width (an id that is not a UUID) and more rows than limit + 1', () => {
    const a = { createdAt: 2, id: '00000000-0000-7000-8000-000000000002', email: 'a@x' };
    const b = { createdAt: 1, id: '00000000-0000-7000-8000-000000000001', email: 'b@x' };
    assert.ok(checkedPage(fold([a, b]), 2));
    assert.equal(checkedPage(fold([a, { ...b, id: 'short' }]), 2), null);
    assert.equal(checkedPage(fold([a, b]), 0), null);
    assert.deepEqual(checkedPage(fold([]), 5), { marked: '', next: null, pendingUntil: null });
  });
});
