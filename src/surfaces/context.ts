import type { Authenticate } from '../http/auth.js';
import type { InvitationsService } from '../modules/invitations/invitations.service.js';
import type { RespondService } from '../modules/invitations/respond.service.js';
import type { MembersService } from '../modules/organizations/members.service.js';
import type { OrganizationsService } from '../modules/organizations/organizations.service.js';
import type { RolesService } from '../modules/organizations/roles.service.js';

/** What a surface may use: services and the authenticator, nothing from the data layer. */
export interface SurfaceContext {
  authenticate: Authenticate;
  organizations: OrganizationsService;
  roles: RolesService;
  members: MembersService;
  invitations: InvitationsService;
  respond: RespondService;
  publicUrl: string;
  appUrl: string;
  /** per-IP limit for the public token reads, or undefined when off */
  publicRateLimit: { max: number; timeWindow: number } | undefined;
}
