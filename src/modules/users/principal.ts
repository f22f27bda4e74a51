/**
 * A registered OAuth2 client acting through client credentials (built-in mode): no member of
 * anything, acting in its one organization with its role's permissions, or everywhere when --admin.
 */
export interface ClientStanding {
  clientId: string;
  /** null for an --admin client */
  organizationId: string | null;
  roleKey: string | null;
}

/** The caller, as the service layer sees it: a provisioned user (or a client) plus the verified token's facts. */
export interface Principal {
  kind: 'user' | 'client';
  /** for a client: the users row that names it as an invitation's inviter, never a member */
  userId: string;
  issuer: string;
  subject: string;
  /** canonical email from the token, or null when absent or not canonicalizable */
  email: string | null;
  emailVerified: boolean;
  name: string | null;
  picture: string | null;
  isSystemAdmin: boolean;
  /** set exactly when kind is 'client' */
  client: ClientStanding | null;
}
