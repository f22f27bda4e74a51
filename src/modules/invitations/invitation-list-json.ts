import type { Dialect } from '../../db/precompiled.js';
import { isoTime, writeIsoTime } from '../../platform/clock.js';

// Each listed invitation's JSON object as SQL the database evaluates (invitation-lists.repository.ts),
// field for field the routes' response items, and the time marks it leaves for isoTime to fill.

/** The shape of one listed item: the admin API's `Invitation` or /api/v1's `ListedInvitation`. */
export type ListView = 'admin' | 'listed';

/** Parameters in order, and each one's placeholder in this dialect. */
export class Params {
  readonly values: unknown[] = [];
  constructor(
    readonly dialect: Dialect,
    readonly nowValue: number,
  ) {}
  add(value: unknown): string {
    this.values.push(value);
    return this.dialect === 'postgres' ? `$${this.values.length}` : '?';
  }
  /** the service clock's now, a placeholder per use (SQLite's are positional) */
  now(): string {
    return this.add(this.nowValue);
  }
}

/** The effective status: a stored-pending row past its expiry is `expired` (effectiveStatus). */
function statusExpr(p: Params): string {
  return `(case when i.status = 'pending' and i.expire_at <= ${p.now()} then 'expired' else i.status end)`;
}

/**
 * A member of an item's JSON: a value (text or null, JSON-quoted), `plain` text (never null, and
 * holding no character JSON escapes: the ids the service makes, statuses; quoted without json_quote's
 * scan), a whole number, or an epoch-ms
 * time (`time?`: or null) written as a JSON string to be: a U+0001 mark and its digits, 23 of them
 * zero-padded, which jsonBytes overwrites in place with isoTime's string of the same 24 characters.
 * (strftime was a third of the statement's time for two timestamps a row; isoTime keeps the date
 * part per day.) No JSON text the database writes holds a raw U+0001: its string values escape every
 * control character. `object` nests.
 */
type Member =
  | [name: string, kind: 'value' | 'plain' | 'int' | 'time' | 'time?', sql: string]
  | [name: string, kind: 'object', members: Member[]];

const MARK = '\u0001';
/** a mark and its digits: isoTime's length for the years 0-9999 */
const WIDTH = 24;

/**
 * SQLite: one printf per item, its format the object with a conversion per member (a chain of `||`
 * copies the growing text once per member). PostgreSQL: `||` (its format() parses the format string
 * on every call).
 */
function objectSql(d: Dialect, members: Member[]): string {
  if (d === 'sqlite') {
    const args: string[] = [];
    const format = (ms: Member[]): string =>
      `{${ms
        .map((m) => {
          const name = m[0];
          if (m[1] === 'object') return `"${name}":${format(m[2])}`;
          const [, kind, col] = m;
          if (kind === 'value') args.push(`json_quote(${col})`);
          else if (kind === 'time?')
            args.push(`iif(${col} is null, 'null', printf('"${MARK}%0${WIDTH - 1}d"', ${col}))`);
          else args.push(col);
          const conversion = {
            value: '%s',
            'time?': '%s',
            plain: '"%s"',
            int: '%d',
            time: `"${MARK}%0${WIDTH - 1}d"`,
          }[kind];
          return `"${name}":${conversion}`;
        })
        .join(',')}}`;
    const f = format(members);
    return `printf('${f}', ${args.join(', ')})`;
  }
  const part = (ms: Member[]): string =>
    `'{' || ${ms
      .map((m, n) => {
        const [name, kind] = m;
        const key = `'${n ? ',' : ''}"${name}":'`;
        if (m[1] === 'object') return `${key} || ${part(m[2])}`;
        const col = m[2];
        const time = `'"${MARK}' || lpad(${col}::text, ${WIDTH - 1}, '0') || '"'`;
        const v =
          kind === 'value'
            ? `coalesce(to_json(${col})::text, 'null')`
            : kind === 'plain'
              ? `'"' || ${col} || '"'`
              : kind === 'int'
                ? `${col}::text`
                : kind === 'time'
                  ? time
                  : `(case when ${col} is null then 'null' else ${time} end)`;
        return `${key} || ${v}`;
      })
      .join(' || ')} || '}'`;
  return `(${part(members)})`;
}

/** How every item's JSON begins: its id is its first member (list-page-order.ts cuts items there). */
export const ITEM_START = '{"id":';

/** The item's JSON object, as the route's response schema has it (names and order; the id first). */
export function itemJson(view: ListView, p: Params): string {
  const status = statusExpr(p);
  if (view === 'admin') {
    return objectSql(p.dialect, [
      ['id', 'plain', 'i.id'],
      ['email', 'value', 'i.email'],
      ['role', 'value', 'r.key'],
      ['workspaceId', 'value', 'i.workspace_id'],
      ['status', 'plain', status],
      ['inviterId', 'plain', 'i.inviter_id'],
      ['createdAt', 'time', 'i.created_at'],
      ['expireAt', 'time', 'i.expire_at'],
      [
        'delivery',
        'object',
        [
          ['status', 'plain', 'i.delivery_status'],
          ['attempts', 'int', 'i.delivery_attempts'],
          ['lastAttemptAt', 'time?', 'i.delivery_last_attempt_at'],
          ['lastError', 'value', 'i.delivery_last_error'],
        ],
      ],
    ]);
  }
  return objectSql(p.dialect, [
    ['id', 'plain', 'i.id'],
    ['email', 'value', 'i.email'],
    ['role', 'value', 'r.key'],
    ['status', 'plain', status],
    ['organization_id', 'plain', 'i.organization_id'],
    ['workspace_id', 'value', 'i.workspace_id'],
    ['inviter_id', 'plain', 'i.inviter_id'],
    ['created_at', 'time', 'i.created_at'],
    ['expires_at', 'time', 'i.expire_at'],
  ]);
}

/**
 * `prefix`, the items' JSON text with every time mark of itemJson made isoTime's string, and `suffix`,
 * as the answer's bytes: the text written once into a buffer, each mark overwritten in place. A
 * 100-row page is about 35 KB; made into a new string by a replace, wrapped into the answer's string
 * and encoded again when sent, it was copied three times on V8's heap, and the young-generation
 * collections that copying causes are a large share of a list page's CPU (BENCHMARKS.md 38). A
 * buffer lives outside that heap and is written to the socket as it is (a kept answer too).
 */
export function jsonBytes(prefix: string, marked: string, suffix: string): Buffer {
  const start = Buffer.byteLength(prefix);
  const end = start + Buffer.byteLength(marked);
  const out = Buffer.allocUnsafe(end + Buffer.byteLength(suffix));
  out.write(prefix, 0);
  out.write(marked, start);
  out.write(suffix, end);
  // UTF-8 writes U+0001 as the byte 1, which no other character's bytes contain
  for (let at = out.indexOf(1, start); at !== -1 && at + WIDTH <= end; at = out.indexOf(1, at + 1)) {
    let ms = 0;
    let i = at + 1;
    for (let c = out[i] as number; i < at + WIDTH && c >= 48 && c <= 57; c = out[++i] as number)
      ms = ms * 10 + c - 48;
    if (i < at + WIDTH) continue; // not 23 digits: no mark of ours
    if (!writeIsoTime(out, at, ms)) return jsonBytesBeyond9999(prefix, marked, suffix);
  }
  return out;
}

/** jsonBytes where a time falls outside the years 0-9999 (isoTime's string is longer than its mark) */
function jsonBytesBeyond9999(prefix: string, marked: string, suffix: string): Buffer {
  const mark = new RegExp(`${MARK}(\\d{${WIDTH - 1}})`, 'g');
  return Buffer.from(prefix + marked.replace(mark, (_, ms: string) => isoTime(Number(ms))) + suffix);
}

/** `prefix`, a listed page's items (JsonPage) as a JSON array's members, `suffix`: the answer's bytes. */
export const pageJson = (prefix: string, page: { marked: string }, suffix: string): Buffer =>
  jsonBytes(prefix, page.marked, suffix);
