import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { jsonBytes } from '../../src/modules/invitations/invitation-list-json.js';

// jsonBytes against an independent rendering: the items as the database writes them (itemJson: each
// time a U+0001 mark and 23 zero-padded digits inside a JSON string), parsed back with every mark
// read by a regular expression and made Date#toISOString's string. The list routes' tests compare
// whole pages on both databases; this one reaches what they cannot seed: any text around the marks
// (non-ASCII, escapes, a U+0001 written escaped) and times beyond the year 9999.

const MARK = '\u0001';
const mark = (ms: number) => `${MARK}${String(ms).padStart(23, '0')}`;

/** The items' JSON text as the database writes it: strings JSON-quoted, times as marks. */
function marked(items: { text: string; times: number[] }[]): string {
  return items
    .map(
      (it) =>
        `{"text":${JSON.stringify(it.text)},"times":[${it.times.map((t) => `"${mark(t)}"`).join(',')}]}`,
    )
    .join(',');
}

function expected(items: { text: string; times: number[] }[]): unknown {
  return items.map((it) => ({ text: it.text, times: it.times.map((t) => new Date(t).toISOString()) }));
}

const item = fc.record({
  text: fc.string({ unit: 'binary', maxLength: 40 }),
  times: fc.array(fc.integer({ min: 0, max: 253_402_300_799_999 }), { maxLength: 4 }),
});

describe('jsonBytes (the list pages’ answer bytes)', () => {
  it('writes every time mark as its ISO string, whatever text surrounds it', () => {
    fc.assert(
      fc.property(fc.array(item, { maxLength: 6 }), (items) => {
        const out = jsonBytes('{"data":[', marked(items), ']}');
        assert.deepEqual(JSON.parse(out.toString('utf8')), { data: expected(items) });
      }),
      { numRuns: 300 },
    );
  });

  it('times beyond the year 9999 (longer than their mark) take the slower path, same answer', () => {
    const items = [
      { text: 'é 😀', times: [Date.UTC(2026, 11, 2), 8_640_000_000_000_000] },
      { text: '\u0001', times: [253_402_300_800_000] },
    ];
    assert.deepEqual(JSON.parse(jsonBytes('[', marked(items), ']').toString('utf8')), expected(items));
  });

  it('an empty page is the prefix and the suffix', () => {
    assert.equal(jsonBytes('[', '', ']').toString('utf8'), '[]');
  });
});
