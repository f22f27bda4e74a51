// Invitation tokens travel in URLs (/invite/<token>, /api/v1/invitations/<token>); logs never see them.
const TOKEN = /inv_[A-Za-z0-9_-]*/g;
const TOKEN_SEGMENT = /^(\/api\/v1\/invitations\/|\/invite\/)([^/?#]+)/;
const UUID = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;

export function redactUrl(url: string): string {
  const replaced = url.replace(TOKEN_SEGMENT, (all, prefix: string, segment: string) =>
    UUID.test(segment) ? all : `${prefix}[redacted]`,
  );
  return replaced.replace(TOKEN, 'inv_[redacted]');
}
