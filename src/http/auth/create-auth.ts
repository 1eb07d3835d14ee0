import type { Router } from 'express';
import type { Redis } from 'ioredis';
import type { Clock } from '../../core/clock';
import type { Logger } from '../../core/logger';
import type { AccountService } from '../../accounts/account-service';
import { createAuthMiddleware, type AuthMiddleware } from './auth-middleware';
import { createAuthRouter } from './auth-router';
import { LoginThrottle, type LoginThrottleOptions } from './login-throttle';
import { SessionStore, type SessionOptions } from './session-store';

export interface AuthOptions {
  accounts: AccountService;
  redis: Redis;
  clock: Clock;
  logger: Logger;
  /** service.publicUrl: an https URL makes the cookie Secure (and `__Host-` prefixed). */
  publicUrl?: string;
  sessions?: SessionOptions;
  throttle?: LoginThrottleOptions;
}

export interface Auth extends AuthMiddleware {
  /** Routes under /api/auth and /api/accounts; mount with `app.use(auth.router)`. */
  router: Router;
  sessions: SessionStore;
  throttle: LoginThrottle;
  cookieName: string;
}

/** Everything the HTTP app needs for logins, sessions and roles, wired together. */
export function createAuth(options: AuthOptions): Auth {
  const secureCookie = options.publicUrl?.startsWith('https:') ?? false;
  // `__Host-`: browsers accept it only Secure, path=/ and without Domain, so no subdomain can overwrite it.
  const cookieName = secureCookie ? '__Host-siaga112_session' : 'siaga112_session';
  const sessions = new SessionStore(options.redis, options.clock, options.sessions);
  const throttle = new LoginThrottle(options.redis, options.clock, options.throttle);
  const middleware = createAuthMiddleware({ accounts: options.accounts, sessions, cookieName });
  const router = createAuthRouter({ ...options, sessions, throttle, middleware, cookieName, secureCookie });
  return { ...middleware, router, sessions, throttle, cookieName };
}
