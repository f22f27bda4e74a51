// Bulk seeds in one INSERT … SELECT per table over a series of row numbers (SQLite: a recursive CTE;
// PostgreSQL: generate_series), so a million invitations take seconds, not the minutes that HTTP or
// batched inserts from JavaScript would. The rows have the shape the service writes and keep the
// schema's invariants: every constraint and index is in place while they go in, SQLite's list-version
// triggers fire for each invitation, each organization gets the built-in roles and its owner's
// membership, and pending invitations are unique per (organization, email). What they skip, as the
// bench's earlier bulk seed did: events and outbox rows (as if created with sendEmail:false, with no
// audit trail). Ids are UUIDv7-shaped (the row's time, then a per-call number and the row number), so
// they are unique and land in index order like the service's. Token hashes are 64 random hex digits:
// nobody holds a token for these rows.
import { type Kysely, sql } from 'kysely';
import type { Database } from '../src/db/schema.js';
import { BUILTIN_ROLES, formatPermissions } from '../src/modules/organizations/permissions.policy.js';
import type { Runtime } from '../src/runtime.js';

type K = Kysely<Database>;
type Dialect = 'sqlite' | 'postgres';

/** Each bulk call's number, in the ids it makes (the 12 bits after the version digit). */
let calls = 0;

/** SQL for one dialect: the row-number series and fixed-width hexadecimal. */
function dialectOf(dialect: Dialect) {
  const pg = dialect === 'postgres';
  return {
    /** `with s(i) as (…)`: 0 … n-1 */
    series: (n: number) =>
      pg
        ? `with s(i) as (select generate_series(0, ${n - 1}))`
        : `with recursive s(i) as (select 0 union all select i + 1 from s where i < ${n - 1})`,
    hex: (expr: string, width: number) =>
      pg ? `lpad(to_hex(${expr}), ${width}, '0')` : `printf('%0${width}x', ${expr})`,
    random64: pg ? 'md5(random()::text) || md5(random()::text)' : 'lower(hex(randomblob(32)))',
  };
}

/** A UUIDv7-shaped id: the time `t` (ms), this call's number and `kind`, the row number `i`. */
function idExpr(d: ReturnType<typeof dialectOf>, call: number, kind: number, t: string, i: string) {
  const seq = (call * 16 + kind) & 0xfff;
  return `${d.hex(`(${t}) >> 16`, 8)} || '-' || ${d.hex(`(${t}) & 65535`, 4)} || '-7${seq.toString(16).padStart(3, '0')}-8000-' || ${d.hex(i, 12)}`;
}

const text = (value: string) => sql`cast(${value} as text)`;

/**
 * `count` pending invitations of `organizationId` (role `member`, the inviter `inviterId`), the newest
 * created at `newest` and each 10 ms before the next: row i (0 = oldest) is `<prefix>i@<domain>`
 * (prefix `bulk-` unless given), created at newest - (count-1-i)·10. Returns the oldest row's time.
 */
export async function bulkInvitations(
  rt: Runtime,
  args: {
    organizationId: string;
    inviterId: string;
    count: number;
    newest: number;
    domain: string;
    prefix?: string;
  },
): Promise<number> {
  const { organizationId, inviterId, count, newest, domain, prefix = 'bulk-' } = args;
  const k: K = rt.db.kysely;
  const role = await k
    .selectFrom('roles')
    .select('id')
    .where('organization_id', '=', organizationId)
    .where('key', '=', 'member')
    .executeTakeFirstOrThrow();
  const d = dialectOf(rt.db.dialect);
  const call = ++calls;
  const expireAt = Date.now() + 7 * 86_400_000;
  await sql`${sql.raw(d.series(count))}
    insert into invitations (id, organization_id, workspace_id, email, role_id, inviter_id, status,
      token_hash, created_at, expire_at, updated_at, resend_count, delivery_status, delivery_attempts)
    select ${sql.raw(idExpr(d, call, 0, 't', 'i'))}, ${text(organizationId)}, null,
      ${text(prefix)} || i || '@' || ${text(domain)}, ${text(role.id)}, ${text(inviterId)}, 'pending',
      ${sql.raw(d.random64)}, t, ${sql.lit(expireAt)}, t, 0, 'none', 0
    from (select i, ${sql.lit(newest)} - (${sql.lit(count - 1)} - i) * 10 as t from s) x`.execute(k);
  return newest - (count - 1) * 10;
}

/**
 * `count` organizations as the service creates them — each with its own owner (a users row), the
 * built-in roles and the owner's membership — and one pending invitation each (from its owner, role
 * `member`), created `spacingMs` apart going back from `newest`. The bulk of what a database holds
 * around the organizations a scenario reads.
 */
export async function bulkOrganizations(
  rt: Runtime,
  args: { count: number; newest: number; spacingMs: number },
): Promise<void> {
  const { count, newest, spacingMs } = args;
  const k: K = rt.db.kysely;
  const d = dialectOf(rt.db.dialect);
  const call = ++calls;
  const id = (kind: number) => idExpr(d, call, kind, 't', 'i');
  const rows = `from (select i, ${newest} - i * ${spacingMs} as t from s) x`;
  const series = sql.raw(d.series(count));
  const from = sql.raw(rows);
  await sql`${series} insert into users (id, issuer, subject, email, email_verified, name, picture,
      created_at, updated_at)
    select ${sql.raw(id(1))}, 'https://filler.bench.example', 'filler-' || i,
      'owner-' || i || '@filler.bench.example', 1, null, null, t, t ${from}`.execute(k);
  await sql`${series} insert into organizations (id, name, logo_url, created_at, updated_at)
    select ${sql.raw(id(2))}, 'Filler ' || i, null, t, t ${from}`.execute(k);
  for (const [n, role] of BUILTIN_ROLES.entries()) {
    await sql`${series} insert into roles (id, organization_id, key, name, permissions, created_at, updated_at)
      select ${sql.raw(id(3 + n))}, ${sql.raw(id(2))}, ${text(role.key)}, ${text(role.name)},
        ${text(formatPermissions(role.permissions))}, t, t ${from}`.execute(k);
  }
  const roleId = (key: string) => id(3 + BUILTIN_ROLES.findIndex((r) => r.key === key));
  await sql`${series} insert into memberships (id, organization_id, user_id, role_id, source_invitation_id,
      created_at)
    select ${sql.raw(id(10))}, ${sql.raw(id(2))}, ${sql.raw(id(1))}, ${sql.raw(roleId('owner'))}, null, t
    ${from}`.execute(k);
  const expireAt = Date.now() + 7 * 86_400_000;
  await sql`${series} insert into invitations (id, organization_id, workspace_id, email, role_id, inviter_id,
      status, token_hash, created_at, expire_at, updated_at, resend_count, delivery_status, delivery_attempts)
    select ${sql.raw(id(11))}, ${sql.raw(id(2))}, null, 'invitee-' || i || '@filler.bench.example',
      ${sql.raw(roleId('member'))}, ${sql.raw(id(1))}, 'pending', ${sql.raw(d.random64)}, t,
      ${sql.lit(expireAt)}, t, 0, 'none', 0 ${from}`.execute(k);
}

/**
 * What an operator does after a bulk load, and what autovacuum would do within a minute (it is off
 * on some machines): without statistics PostgreSQL guessed one row for (organization, status) and
 * sorted all 100,000 rows of the filtered list (BENCHMARKS.md item 19). SQLite: nothing, as the
 * service never runs ANALYZE there.
 */
export async function afterBulk(rt: Runtime): Promise<void> {
  if (rt.db.dialect === 'postgres')
    await sql`analyze users, organizations, roles, memberships, invitations`.execute(rt.db.kysely);
}
