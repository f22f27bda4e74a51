/** The caller, as the service layer sees it: a provisioned user plus the verified token's facts. */
export interface Principal {
  userId: string;
  issuer: string;
  subject: string;
  /** canonical email from the token, or null when absent or not canonicalizable */
  email: string | null;
  emailVerified: boolean;
  name: string | null;
  picture: string | null;
  isSystemAdmin: boolean;
}
