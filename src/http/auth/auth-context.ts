import type { Request } from 'express';
import { UnauthenticatedError } from '../../core/errors';
import type { Account } from '../../ports/account-store';
import type { Session } from './session-store';

/** Who is making this request; set by requireAuth / requireRole. */
export interface AuthContext {
  account: Account;
  session: Session;
  /** The raw session id from the cookie (to end this session or spare it). */
  sessionId: string;
}

declare global {
  // eslint-disable-next-line @typescript-eslint/no-namespace
  namespace Express {
    interface Request {
      /** Present after requireAuth or requireRole ran. */
      auth?: AuthContext;
    }
  }
}

/** The caller's account in a handler behind requireAuth/requireRole. */
export function authOf(req: Request): AuthContext {
  if (!req.auth) throw new UnauthenticatedError();
  return req.auth;
}
