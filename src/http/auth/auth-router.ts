import express, { Router, type Request, type RequestHandler, type Response } from 'express';
import { z } from 'zod';
import type { Clock } from '../../core/clock';
import { ForbiddenError, NotFoundError, TooManyRequestsError, UnauthenticatedError, ValidationError } from '../../core/errors';
import type { Logger } from '../../core/logger';
import type { AccountService } from '../../accounts/account-service';
import { createAccountSchema, loginSchema, passwordInputSchema, updateAccountSchema } from '../../accounts/account-schemas';
import { parseInput } from '../../accounts/parse-input';
import { authOf } from './auth-context';
import { readCookie, type AuthMiddleware } from './auth-middleware';
import type { LoginThrottle } from './login-throttle';
import type { SessionStore } from './session-store';

export interface AuthRouterDeps {
  accounts: AccountService;
  sessions: SessionStore;
  throttle: LoginThrottle;
  middleware: AuthMiddleware;
  clock: Clock;
  logger: Logger;
  cookieName: string;
  secureCookie: boolean;
}

const changePasswordSchema = z
  .object({ currentPassword: passwordInputSchema, newPassword: passwordInputSchema })
  .strict();

/** Bodies are small JSON; a parse failure is a ValidationError like any other bad input. */
function jsonBody(): RequestHandler {
  const parse = express.json({ limit: '16kb' });
  return (req, res, next) =>
    parse(req, res, (err?: unknown) => {
      if (!err) return next();
      const message = err instanceof Error ? err.message : 'unreadable body';
      next(new ValidationError(`The request body is not valid JSON: ${message}`, [{ field: '(body)', message }]));
    });
}

/**
 * /api/auth/login, /api/auth/logout, /api/auth/me, /api/auth/password and
 * the admin's /api/accounts. Mount at the root: `app.use(router)`.
 */
export function createAuthRouter(deps: AuthRouterDeps): Router {
  const { accounts, sessions, throttle, middleware, logger, cookieName, secureCookie } = deps;
  const { requireAuth, requireRole } = middleware;
  const router = Router();
  router.use(['/api/auth', '/api/accounts'], jsonBody());

  const setSessionCookie = (res: Response, id: string): void => {
    // No Max-Age: the cookie goes with the browser (shared console PCs); Redis decides expiry.
    res.cookie(cookieName, id, { httpOnly: true, sameSite: 'strict', secure: secureCookie, path: '/' });
  };
  const clearSessionCookie = (res: Response): void => {
    res.clearCookie(cookieName, { httpOnly: true, sameSite: 'strict', secure: secureCookie, path: '/' });
  };
  const clientAddress = (req: Request): string => req.ip ?? req.socket.remoteAddress ?? 'unknown';

  router.post('/api/auth/login', async (req, res) => {
    if (!req.is('application/json')) {
      throw new ValidationError('Send the login as JSON (Content-Type: application/json)', [{ field: '(body)', message: 'expected application/json' }]);
    }
    const input = parseInput(loginSchema, req.body, 'login');
    const ip = clientAddress(req);
    const wait = await throttle.retryAfterSeconds(input.username, ip);
    if (wait > 0) {
      logger.warn('login throttled', { username: input.username, ip, retryAfterSeconds: wait });
      res.set('Retry-After', String(wait));
      throw new TooManyRequestsError(`Too many failed logins: try again in ${Math.ceil(wait / 60)} minute(s)`, wait);
    }
    const result = await accounts.login(input.username, input.password);
    if (!result.ok) {
      if (result.reason === 'disabled') {
        logger.warn('login to a disabled account', { username: input.username, ip });
        throw new ForbiddenError('This account is disabled: ask an admin');
      }
      await throttle.recordFailure(input.username, ip);
      logger.warn('login failed', { username: input.username, ip });
      throw new UnauthenticatedError('Wrong username or password');
    }
    await throttle.recordSuccess(input.username);
    // A new id at every login: a session id planted before login is worthless.
    const previous = readCookie(req, cookieName);
    if (previous) await sessions.destroy(previous);
    const { id, session } = await sessions.create(result.account.id);
    setSessionCookie(res, id);
    logger.info('login', { accountId: result.account.id, role: result.account.role, ip });
    res.json({ user: result.account, csrfToken: session.csrfToken });
  });

  router.post('/api/auth/logout', requireAuth, async (req, res) => {
    const auth = authOf(req);
    await sessions.destroy(auth.sessionId);
    clearSessionCookie(res);
    logger.info('logout', { accountId: auth.account.id });
    res.status(204).end();
  });

  router.get('/api/auth/me', requireAuth, (req, res) => {
    const auth = authOf(req);
    res.json({ user: auth.account, csrfToken: auth.session.csrfToken });
  });

  /** Change one's own password; other sessions of the account end. */
  router.post('/api/auth/password', requireAuth, async (req, res) => {
    const auth = authOf(req);
    const input = parseInput(changePasswordSchema, req.body, 'password change');
    // Throttled like a login: a borrowed session must not become a password-guessing oracle.
    const wait = await throttle.retryAfterSeconds(auth.account.username, clientAddress(req));
    if (wait > 0) {
      res.set('Retry-After', String(wait));
      throw new TooManyRequestsError(`Too many wrong passwords: try again in ${Math.ceil(wait / 60)} minute(s)`, wait);
    }
    const check = await accounts.login(auth.account.username, input.currentPassword);
    if (!check.ok) {
      await throttle.recordFailure(auth.account.username, clientAddress(req));
      throw new ValidationError('The current password is wrong', [{ field: 'currentPassword', message: 'wrong password' }]);
    }
    await accounts.update(auth.account.id, { password: input.newPassword });
    await sessions.destroyAllFor(auth.account.id, auth.sessionId);
    logger.info('password changed', { accountId: auth.account.id });
    res.status(204).end();
  });

  const admin = requireRole('admin');

  router.get('/api/accounts', admin, async (_req, res) => {
    res.json({ accounts: await accounts.list() });
  });

  router.get('/api/accounts/:id', admin, async (req, res) => {
    const account = await accounts.get(req.params.id as string);
    if (!account) throw new NotFoundError('Account', req.params.id as string);
    res.json({ account });
  });

  router.post('/api/accounts', admin, async (req, res) => {
    const input = parseInput(createAccountSchema, req.body, 'account');
    const account = await accounts.create(input);
    logger.info('account created', { accountId: account.id, role: account.role, by: authOf(req).account.id });
    res.status(201).json({ account });
  });

  router.patch('/api/accounts/:id', admin, async (req, res) => {
    const auth = authOf(req);
    const id = req.params.id as string;
    const input = parseInput(updateAccountSchema, req.body, 'account change');
    const account = await accounts.update(id, input);
    // A disabled account or a reset password ends the account's sessions (but not the admin's own).
    if (input.disabled === true || input.password !== undefined) await sessions.destroyAllFor(id, auth.sessionId);
    logger.info('account changed', { accountId: id, fields: Object.keys(input), by: auth.account.id });
    res.json({ account });
  });

  return router;
}
