import { timingSafeEqual } from 'node:crypto';
import type { Db } from '../db/create-db.js';
import type { OAuthClientsTable } from '../db/schema.js';
import { inTransaction } from '../db/tx.js';
import { sha256Hex } from '../platform/crypto.js';
import { uuidv7 } from '../platform/ids.js';
import { randomBytes } from '../platform/random.js';
import { mayBeStored } from './adapter.js';

// Registered OAuth2 clients (`admit clients create|list|delete`). The secret is shown once and stored
// only as a SHA-256 hash: it is 256 random bits, so a fast hash is as strong as a slow one here.
// Each client gets a users row under the reserved issuer CLIENT_ISSUER, only so that an invitation it
// creates can name it as inviter (invitations.inviter_id references users): no token can carry that
// issuer, so the row is never a signed-in user and never becomes a member.

export const CLIENT_ISSUER = 'urn:admit:client';
export const WEB_CLIENT_ID = 'admit-invitation-page';
/** Swagger UI at /docs: a static public client (PKCE) redirecting to its oauth2-redirect page */
export const DOCS_CLIENT_ID = 'admit-api-docs';

export interface ClientRecord {
  clientId: string;
  name: string;
  public: boolean;
  redirectUris: string[];
  admin: boolean;
  organizationId: string | null;
  roleKey: string | null;
  inviterUserId: string;
  secretHash: string | null;
  createdAt: number;
}

export interface NewClient {
  name: string;
  redirectUris: string[];
  public: boolean;
  admin: boolean;
  organization?: { id: string; roleKey: string } | undefined;
}

export class ClientInputError extends Error {}

function toRecord(r: OAuthClientsTable): ClientRecord {
  return {
    clientId: r.client_id,
    name: r.name,
    public: r.secret_hash === null,
    redirectUris: JSON.parse(r.redirect_uris) as string[],
    admin: r.admin === 1,
    organizationId: r.organization_id,
    roleKey: r.role_key,
    inviterUserId: r.inviter_user_id,
    secretHash: r.secret_hash,
    createdAt: r.created_at,
  };
}

/** A redirect URI must be absolute, without fragment; plain http only to a loopback host (RFC 8252). */
export function redirectUriProblem(uri: string): string | undefined {
  let u: URL;
  try {
    u = new URL(uri);
  } catch {
    return `${uri}: not an absolute URL`;
  }
  if (u.hash) return `${uri}: a redirect URI has no fragment`;
  if (u.protocol === 'https:') return undefined;
  if (u.protocol === 'http:' && ['localhost', '127.0.0.1', '[::1]'].includes(u.hostname)) return undefined;
  return `${uri}: use https (http only for localhost)`;
}

export function secretMatches(secretHash: string, presented: string): boolean {
  return timingSafeEqual(Buffer.from(sha256Hex(presented)), Buffer.from(secretHash));
}

export function createClientsStore(db: Db) {
  const k = db.kysely;
  return {
    /** Registers a client; the plain secret is in the answer only. */
    async create(
      input: NewClient,
      now: number,
    ): Promise<{ record: ClientRecord; secret: string | undefined }> {
      if (!input.name.trim()) throw new ClientInputError('--name must not be empty');
      if (input.public && (input.admin || input.organization))
        throw new ClientInputError(
          '--public cannot be combined with --admin or --organization: client credentials need a confidential client (RFC 6749 §4.4)',
        );
      if (input.admin && input.organization)
        throw new ClientInputError('--admin and --organization exclude each other');
      if (input.public && input.redirectUris.length === 0)
        throw new ClientInputError('a --public client needs at least one --redirect-uri');
      for (const uri of input.redirectUris) {
        const problem = redirectUriProblem(uri);
        if (problem) throw new ClientInputError(`--redirect-uri ${problem}`);
      }
      const clientId = `cl_${randomBytes(12).toString('base64url')}`;
      const secret = input.public ? undefined : `cs_${randomBytes(32).toString('base64url')}`;
      const row: OAuthClientsTable = {
        client_id: clientId,
        name: input.name.trim(),
        secret_hash: secret ? sha256Hex(secret) : null,
        redirect_uris: JSON.stringify(input.redirectUris),
        admin: input.admin ? 1 : 0,
        organization_id: input.organization?.id ?? null,
        role_key: input.organization?.roleKey ?? null,
        inviter_user_id: uuidv7(now),
        created_at: now,
      };
      await inTransaction(db, async (trx) => {
        if (input.organization) {
          const role = await trx
            .selectFrom('roles')
            .select('id')
            .where('organization_id', '=', input.organization.id)
            .where('key', '=', input.organization.roleKey)
            .executeTakeFirst();
          if (!role)
            throw new ClientInputError(
              `no role ${JSON.stringify(input.organization.roleKey)} in organization ${input.organization.id}`,
            );
        }
        await trx
          .insertInto('users')
          .values({
            id: row.inviter_user_id,
            issuer: CLIENT_ISSUER,
            subject: clientId,
            email: null,
            email_verified: 0,
            name: row.name,
            picture: null,
            created_at: now,
            updated_at: now,
          })
          .execute();
        await trx.insertInto('oauth_clients').values(row).execute();
      });
      return { record: toRecord(row), secret };
    },
    /** By a client_id from a request (the provider's lookups): see mayBeStored. */
    async find(clientId: string): Promise<ClientRecord | undefined> {
      if (!mayBeStored(clientId)) return undefined;
      const row = await k
        .selectFrom('oauth_clients')
        .selectAll()
        .where('client_id', '=', clientId)
        .executeTakeFirst();
      return row ? toRecord(row) : undefined;
    },
    async list(): Promise<ClientRecord[]> {
      const rows = await k
        .selectFrom('oauth_clients')
        .selectAll()
        .orderBy('created_at')
        .orderBy('client_id')
        .execute();
      return rows.map(toRecord);
    },
    /** true when a client was deleted; its invitations keep naming it (the users row stays) */
    async delete(clientId: string): Promise<boolean> {
      const r = await k.deleteFrom('oauth_clients').where('client_id', '=', clientId).executeTakeFirst();
      return Number(r.numDeletedRows) > 0;
    },
  };
}

export type ClientsStore = ReturnType<typeof createClientsStore>;

/** What `admit clients list` and `create` print: never the secret's hash. */
export function publicView(c: ClientRecord) {
  return {
    client_id: c.clientId,
    name: c.name,
    public: c.public,
    redirect_uris: c.redirectUris,
    admin: c.admin,
    organization_id: c.organizationId,
    role: c.roleKey,
    created_at: new Date(c.createdAt).toISOString(),
  };
}
