import type { Authenticate } from '../http/auth.js';
import type { Services } from '../services.js';

/**
 * What a surface may use: the services (every one createServices builds, so a new service reaches
 * the surfaces without a line here) and the authenticator; nothing from the data layer.
 */
export type SurfaceContext = Services & {
  authenticate: Authenticate;
  publicUrl: string;
  appUrl: string;
  /** per-IP limit for the public token reads, or undefined when off */
  publicRateLimit: { max: number; timeWindow: number } | undefined;
};
