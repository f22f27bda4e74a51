// Every rate limit and quota the server knows, turned off: the bench runs with these (and says so),
// and tests that are not about limits start their servers with them. One list, so a new quota can
// never be forgotten in one of them.
export const LIMITS_OFF: Readonly<Record<string, string>> = Object.freeze({
  RATE_LIMIT_PUBLIC: 'off',
  INVITE_QUOTA_ORG: 'off',
  INVITE_QUOTA_RECIPIENT: 'off',
  INVITE_QUOTA_RECIPIENT_ALL: 'off',
  INVITE_QUOTA_INVITER: 'off',
  ORG_CREATE_QUOTA: 'off',
});
