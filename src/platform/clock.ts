/** Time is a dependency: expiry is decided by this clock on both dialects (passed into queries). */
export interface Clock {
  /** epoch milliseconds */
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };

/** A clock tests can set and move. */
export function manualClock(
  start = Date.UTC(2026, 0, 1),
): Clock & { set(ms: number): void; advance(ms: number): void } {
  let t = start;
  return {
    now: () => t,
    set: (ms) => {
      t = ms;
    },
    advance: (ms) => {
      t += ms;
    },
  };
}

const DAY_MS = 86_400_000;
/** the years 0-9999, where isoTime's string is 24 characters */
const FIRST_MS = -62_167_219_200_000;
const END_MS = 253_402_300_800_000;
const pad2 = (n: number) => (n < 10 ? `0${n}` : `${n}`);

/** A day's date part (`2026-11-22T`) as text and as latin1 bytes. */
interface DayPrefix {
  text: string;
  bytes: Uint8Array;
}
/** date parts by day number; a row's created and expiry days alternate, so one is not enough */
const dayPrefixes = new Map<number, DayPrefix>();

/** The date part of the day holding `ms` (years 0-9999), remembered: a few thousand days at most. */
function dayPrefix(day: number): DayPrefix {
  let prefix = dayPrefixes.get(day);
  if (prefix === undefined) {
    if (dayPrefixes.size >= 4096) dayPrefixes.clear();
    const text = new Date(day * DAY_MS).toISOString().slice(0, 11);
    prefix = { text, bytes: Uint8Array.from(text, (c) => c.charCodeAt(0)) };
    dayPrefixes.set(day, prefix);
  }
  return prefix;
}

/**
 * `new Date(ms).toISOString()`, faster: the date part is remembered per day (a few thousand at most)
 * and the time of day is plain arithmetic. A 100-row admin page formats 300 timestamps, and
 * toISOString was 11-15 % of the server's CPU there. Timestamps outside years 0–9999 take the slow path.
 */
export function isoTime(ms: number): string {
  if (!(Number.isInteger(ms) && ms >= FIRST_MS && ms < END_MS)) return new Date(ms).toISOString();
  const day = Math.floor(ms / DAY_MS);
  const t = ms - day * DAY_MS;
  const milli = t % 1000;
  const s = Math.floor(t / 1000);
  return `${dayPrefix(day).text}${pad2(Math.floor(s / 3600))}:${pad2(Math.floor(s / 60) % 60)}:${pad2(s % 60)}.${milli < 10 ? `00${milli}` : milli < 100 ? `0${milli}` : milli}Z`;
}

const ZERO = 48;
const COLON = 58;
const DOT = 46;
const Z = 90;

function twoDigits(out: Uint8Array, at: number, n: number): void {
  out[at] = ZERO + Math.floor(n / 10);
  out[at + 1] = ZERO + (n % 10);
}

/**
 * isoTime's 24 characters for `ms`, written as bytes into `out` at `at`, with no string made: a list
 * page writes 200 of them (invitation-list-json.ts), and their strings, joined and flattened to be
 * written, were a third of all a page allocated on V8's heap (BENCHMARKS.md). False, and nothing
 * written, outside the years 0-9999, where isoTime's string is longer.
 */
export function writeIsoTime(out: Uint8Array, at: number, ms: number): boolean {
  if (!(Number.isInteger(ms) && ms >= FIRST_MS && ms < END_MS)) return false;
  const day = Math.floor(ms / DAY_MS);
  const date = dayPrefix(day).bytes;
  for (let i = 0; i < 11; i++) out[at + i] = date[i] as number;
  const t = ms - day * DAY_MS;
  const s = Math.floor(t / 1000);
  twoDigits(out, at + 11, Math.floor(s / 3600));
  out[at + 13] = COLON;
  twoDigits(out, at + 14, Math.floor(s / 60) % 60);
  out[at + 16] = COLON;
  twoDigits(out, at + 17, s % 60);
  out[at + 19] = DOT;
  const milli = t % 1000;
  out[at + 20] = ZERO + Math.floor(milli / 100);
  twoDigits(out, at + 21, milli % 100);
  out[at + 23] = Z;
  return true;
}
