import { timingSafeEqual } from 'node:crypto';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { ForbiddenError, UnauthenticatedError } from '../../core/errors';
import type { AccountService } from '../../accounts/account-service';
import type { Role } from '../../ports/account-store';
import type { AuthContext } from './auth-context';
import type { SessionStore } from './session-store';

/*
 * Why cookie sessions with a CSRF token, not bearer tokens, for the console:
 * - The session id sits in an httpOnly cookie, so script injected into the
 *   page (XSS) cannot read and carry it away, as it could a token kept in
 *   localStorage; the id is opaque and lives in Redis, so logout, disabling
 *   an account or a password reset end it at once on every instance.
 * - SameSite=Strict stops browsers from sending the cookie on cross-site
 *   requests. The synchronizer token (kept in the session, sent by the page
 *   in X-CSRF-Token, checked on every POST/PUT/PATCH/DELETE) also covers
 *   browsers without SameSite and same-site but cross-origin pages (another
 *   application on a sibling subdomain), which SameSite lets through.
 * - Login accepts only application/json, which a cross-site form cannot send.
 */

export const CSRF_HEADER = 'x-csrf-token';
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/** Read one cookie, whether or not the app mounted cookie-parser. */
export function readCookie(req: Request, name: string): string | undefined {
  const parsed = (req as Request & { cookies?: Record<string, unknown> }).cookies?.[name];
  if (typeof parsed === 'string') return parsed;
  return cookieFromHeader(req.headers.cookie, name);
}

export function cookieFromHeader(header: string | undefined, name: string): string | undefined {
  for (const part of (header ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

function sameToken(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

export interface AuthMiddleware {
  /** 401 without a live session of an enabled account; 403 on a state change without the CSRF token. */
  requireAuth: RequestHandler;
  /** requireAuth, then 403 unless the account has one of `roles`. */
  requireRole(...roles: Role[]): RequestHandler;
  /** For WebSocket upgrades and the like: the session behind a Cookie header, or undefined. */
  authenticateCookieHeader(header: string | undefined): Promise<AuthContext | undefined>;
}

export function createAuthMiddleware(deps: { accounts: AccountService; sessions: SessionStore; cookieName: string }): AuthMiddleware {
  const { accounts, sessions, cookieName } = deps;

  async function resolve(sessionId: string | undefined): Promise<AuthContext | undefined> {
    if (!sessionId) return undefined;
    const session = await sessions.touch(sessionId);
    if (!session) return undefined;
    // The account is read on every request so that a role change or a
    // disabled account takes effect at once, not at the next login.
    const account = await accounts.get(session.accountId);
    if (!account || account.disabled) {
      await sessions.destroy(sessionId);
      return undefined;
    }
    return { account, session, sessionId };
  }

  async function authenticate(req: Request): Promise<AuthContext> {
    if (req.auth) return req.auth;
    const auth = await resolve(readCookie(req, cookieName));
    if (!auth) throw new UnauthenticatedError('Log in first (no valid session)');
    if (!SAFE_METHODS.has(req.method)) {
      const given = req.get(CSRF_HEADER);
      if (!given || !sameToken(given, auth.session.csrfToken)) {
        throw new ForbiddenError('Missing or wrong X-CSRF-Token header: send the csrfToken from login or GET /api/auth/me');
      }
    }
    req.auth = auth;
    return auth;
  }

  const requireAuth: RequestHandler = async (req: Request, _res: Response, next: NextFunction) => {
    await authenticate(req);
    next();
  };

  function requireRole(...roles: Role[]): RequestHandler {
    if (roles.length === 0) throw new Error('requireRole needs at least one role');
    return async (req: Request, _res: Response, next: NextFunction) => {
      const { account } = await authenticate(req);
      if (!roles.includes(account.role)) {
        throw new ForbiddenError(`This needs the role ${roles.join(' or ')}; you are ${account.role}`);
      }
      next();
    };
  }

  return {
    requireAuth,
    requireRole,
    authenticateCookieHeader: (header) => resolve(cookieFromHeader(header, cookieName)),
  };
}
