// Driver errors, classified once for both dialects.

function codeOf(err: unknown): string | undefined {
  if (err && typeof err === 'object' && 'code' in err && typeof err.code === 'string') return err.code;
  return undefined;
}

function textOf(err: unknown): string {
  return err instanceof Error ? `${err.message} ${'constraint' in err ? String(err.constraint) : ''}` : '';
}

/** A unique index refused the write; `name` (index or column list fragment) narrows which one. */
export function isUniqueViolation(err: unknown, name?: string): boolean {
  const code = codeOf(err);
  const unique =
    code === '23505' || code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY';
  if (!unique) return false;
  if (!name) return true;
  return textOf(err).includes(name);
}

const PG_UNAVAILABLE = /^(08|53|57P0|57014|58)/;
const NET = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EHOSTUNREACH']);

/** The database cannot serve right now (down, overloaded, locked, full): answer 503, not 500. */
export function isDatabaseUnavailable(err: unknown): boolean {
  const code = codeOf(err);
  if (code) {
    if (PG_UNAVAILABLE.test(code) || NET.has(code)) return true;
    if (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED') || code === 'SQLITE_FULL')
      return true;
    if (code === 'SQLITE_IOERR' || code.startsWith('SQLITE_IOERR_') || code === 'SQLITE_CANTOPEN')
      return true;
  }
  const msg = err instanceof Error ? err.message : '';
  return /Connection terminated|connection timeout|timeout exceeded when trying to connect|Client has encountered a connection error|driver has already been destroyed|Cannot use a pool after calling end/i.test(
    msg,
  );
}
