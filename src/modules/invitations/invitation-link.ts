/**
 * The link an invitee follows: the invitation page (surfaces/web). Returned by create and resend,
 * and written into the email by the dispatcher; built here only, so the two can never differ.
 */
export function invitationUrl(publicUrl: string, token: string): string {
  return `${publicUrl}/invite/${token}`;
}
