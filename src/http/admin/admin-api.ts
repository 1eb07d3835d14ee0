import { Router, type Request, type RequestHandler } from 'express';
import { z } from 'zod';
import type { Clock } from '../../core/clock';
import { errorMessage } from '../../core/errors';
import type { Logger } from '../../core/logger';
import { parseInput } from '../../accounts/parse-input';
import type { AuditLog } from '../../audit/audit-log';
import type { DialplanAdminService, Actor } from '../../dialplan-check/dialplan-admin-service';
import type { Role } from '../../ports/account-store';
import { authOf } from '../auth/auth-context';
import type { AuthMiddleware } from '../auth/auth-middleware';

export interface AdminApiDeps {
  dialplan: DialplanAdminService;
  audit: AuditLog;
  /** From createAuth(). */
  auth: Pick<AuthMiddleware, 'requireRole'>;
  logger: Logger;
}

const ADMIN: Role[] = ['admin'];

/** Every admin route and its roles; the router is built from this table. */
export const ADMIN_API_ROUTES = [
  { method: 'GET', path: '/api/admin/dialplan', roles: ADMIN },
  { method: 'POST', path: '/api/admin/dialplan/check', roles: ADMIN },
  { method: 'POST', path: '/api/admin/dialplan/apply', roles: ADMIN },
  { method: 'GET', path: '/api/admin/audit', roles: ADMIN },
] as const satisfies ReadonlyArray<{ method: 'GET' | 'POST'; path: string; roles: readonly Role[] }>;

const auditQuery = z
  .object({
    limit: z.coerce.number({ error: 'expected a number' }).int().min(1).max(1000).default(100),
    offset: z.coerce.number({ error: 'expected a number' }).int().min(0).default(0),
    action: z.string().regex(/^[a-z._-]{1,64}$/, 'expected an action such as dialplan.apply').optional(),
  })
  .strict();

const actorOf = (req: Request): Actor => {
  const { account } = authOf(req);
  return { username: account.id, role: account.role };
};

/**
 * Admin tools: the dialplan files, check, apply (reload through AMI after a
 * clean check, verified with dialplan show) and the audit log. Mount at the
 * root: `app.use(createAdminApi(deps))`.
 */
export function createAdminApi(deps: AdminApiDeps): Router {
  const { dialplan, audit, auth } = deps;
  const router = Router();
  const guard = (path: (typeof ADMIN_API_ROUTES)[number]['path']) => auth.requireRole(...ADMIN_API_ROUTES.find((r) => r.path === path)!.roles);

  router.get('/api/admin/dialplan', guard('/api/admin/dialplan'), (_req, res) => {
    res.json({ app: dialplan.app, canApply: dialplan.canApply, files: dialplan.files() });
  });

  router.post('/api/admin/dialplan/check', guard('/api/admin/dialplan/check'), async (req, res) => {
    res.json({ check: await dialplan.check(actorOf(req)) });
  });

  router.post('/api/admin/dialplan/apply', guard('/api/admin/dialplan/apply'), async (req, res) => {
    res.json({ applied: await dialplan.apply(actorOf(req)) });
  });

  router.get('/api/admin/audit', guard('/api/admin/audit'), async (req, res) => {
    const q = parseInput(auditQuery, req.query, 'query');
    res.json({ entries: await audit.list(q) });
  });

  return router;
}

/** Account fields safe to keep in the log (never a password). */
const SAFE_ACCOUNT_FIELDS = ['username', 'displayName', 'role', 'endpoint', 'disabled'] as const;

/**
 * Records every admin change to accounts (POST /api/accounts, PATCH
 * /api/accounts/:id) in the audit log once the answer is sent: who, what,
 * when and the HTTP result. Mount BEFORE auth.router so it sees the request
 * first: `routers: [accountAudit(...), auth.router, ...]`.
 */
export function accountAudit(deps: { audit: AuditLog; clock: Clock; logger: Logger }): Router {
  const handler: RequestHandler = (req, res, next) => {
    const isChange = (req.method === 'POST' && req.path === '/api/accounts') || (req.method === 'PATCH' && /^\/api\/accounts\/[^/]+$/.test(req.path));
    if (!isChange) return next();
    res.on('finish', () => {
      const auth = req.auth;
      if (!auth) return; // refused before authentication: nobody to name
      const body = (typeof req.body === 'object' && req.body !== null ? req.body : {}) as Record<string, unknown>;
      const fields: Record<string, unknown> = {};
      for (const f of SAFE_ACCOUNT_FIELDS) if (body[f] !== undefined) fields[f] = body[f];
      if (body.password !== undefined) fields.password = '(changed)';
      const target = req.method === 'POST' ? String(body.username ?? '') : decodeURIComponent(req.path.split('/').pop() ?? '');
      deps.audit
        .record({
          at: deps.clock.now(),
          actor: auth.account.id,
          actorRole: auth.account.role,
          action: req.method === 'POST' ? 'account.create' : 'account.update',
          result: res.statusCode < 300 ? 'ok' : res.statusCode === 401 || res.statusCode === 403 ? 'refused' : 'failed',
          details: { account: target, status: res.statusCode, fields },
        })
        .catch((err: unknown) => deps.logger.error('audit record failed', { error: errorMessage(err) }));
    });
    next();
  };
  return Router().use(handler);
}
