import { Router, type Request } from 'express';
import { z } from 'zod';
import type { Clock } from '../../core/clock';
import { ValidationError } from '../../core/errors';
import type { IvrMenu } from '../../domain/ivr/menu';
import { CLASSIFICATIONS, OPERATOR_STATES, type OperatorState } from '../../domain/types';
import type { Role } from '../../ports/account-store';
import type { Dispatch } from '../../queue';
import { parseInput } from '../../accounts/parse-input';
import { localDate, parseInstant, type CallFilter, type ReportService } from '../../reports';
import { presentOperator } from '../api/console-api';
import { idSchema } from '../api/api-schemas';
import type { AuthMiddleware } from '../auth/auth-middleware';

export interface SupervisorApiDeps {
  reports: ReportService;
  dispatch: Pick<Dispatch, 'operators' | 'queueSnapshot'>;
  auth: Pick<AuthMiddleware, 'requireRole'>;
  clock: Clock;
  menu: IvrMenu;
}

const SUP: Role[] = ['supervisor', 'admin'];

/** Every supervisor route and its roles; the router is built from this table. */
export const SUPERVISOR_API_ROUTES = [
  { method: 'GET', path: '/api/supervisor/wallboard', roles: SUP },
  { method: 'GET', path: '/api/reports/calls', roles: SUP },
  { method: 'GET', path: '/api/reports/calls.csv', roles: SUP },
  { method: 'GET', path: '/api/reports/calls/:id', roles: SUP },
  { method: 'GET', path: '/api/reports/daily', roles: SUP },
  { method: 'GET', path: '/api/reports/monthly', roles: SUP },
  { method: 'GET', path: '/api/reports/repeat-callers', roles: SUP },
] as const satisfies ReadonlyArray<{ method: 'GET'; path: string; roles: readonly Role[] }>;

const text = (max: number) => z.string().trim().min(1).max(max);
const listQuery = z
  .object({
    from: text(40).optional(),
    to: text(40).optional(),
    category: z.string().regex(/^[a-z0-9_-]{1,40}$/, 'expected a category id').optional(),
    classification: z.enum(CLASSIFICATIONS, { error: `expected one of ${CLASSIFICATIONS.join(', ')}` }).optional(),
    operator: idSchema.optional(),
    caller: z.string().regex(/^\+?[0-9]{2,20}$/, 'expected a phone number of digits, optionally starting with +').optional(),
    limit: z.coerce.number({ error: 'expected a number' }).int().min(1).max(1000).default(100),
    offset: z.coerce.number({ error: 'expected a number' }).int().min(0).default(0),
  })
  .strict();
const dateText = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'expected YYYY-MM-DD');
const dailyQuery = z.object({ date: dateText.optional(), since: dateText.optional() }).strict();
const monthlyQuery = z.object({ month: z.string().regex(/^\d{4}-\d{2}$/, 'expected YYYY-MM').optional(), since: dateText.optional() }).strict();
const repeatQuery = z
  .object({ from: dateText.optional(), to: dateText.optional(), min: z.coerce.number({ error: 'expected a number' }).int().min(2).max(1000).default(3) })
  .strict();

/**
 * The supervisor's JSON API: the wallboard's live figures and the reports
 * (call list, detail, CSV, daily and monthly summaries, repeat callers).
 * Mount at the root: `app.use(createSupervisorApi(deps))`.
 */
export function createSupervisorApi(deps: SupervisorApiDeps): Router {
  const { reports, dispatch, auth, clock, menu } = deps;
  const tz = reports.timeZone;
  const router = Router();
  const guard = (path: (typeof SUPERVISOR_API_ROUTES)[number]['path']) => auth.requireRole(...SUPERVISOR_API_ROUTES.find((r) => r.path === path)!.roles);

  const filterOf = (req: Request): { filter: CallFilter; limit: number; offset: number } => {
    const q = parseInput(listQuery, req.query, 'query');
    const now = clock.now();
    // Default: the last 30 local days up to now.
    const from = q.from ? parseInstant(q.from, tz, 'from') : now - 30 * 24 * 3600_000;
    const to = q.to ? (/^\d{4}-\d{2}-\d{2}$/.test(q.to) ? reports.dates(q.to, q.to).to : parseInstant(q.to, tz, 'to')) : now + 1;
    if (from > to) throw new ValidationError('from is after to', [{ field: 'from', message: 'must not be after to' }]);
    const filter: CallFilter = {
      range: { from, to },
      ...(q.category ? { category: q.category } : {}),
      ...(q.classification ? { classification: q.classification } : {}),
      ...(q.operator ? { operatorId: q.operator } : {}),
      ...(q.caller ? { callerNumber: q.caller } : {}),
    };
    return { filter, limit: q.limit, offset: q.offset };
  };

  router.get('/api/supervisor/wallboard', guard('/api/supervisor/wallboard'), async (_req, res) => {
    const now = clock.now();
    const [waiting, operators, today] = await Promise.all([dispatch.queueSnapshot(), dispatch.operators.list(), reports.today()]);
    const byState = Object.fromEntries(OPERATOR_STATES.map((s) => [s, 0])) as Record<OperatorState, number>;
    const shown = operators.map(presentOperator);
    for (const o of shown) byState[o.state] += 1;
    const calls = waiting.map((w) => ({ ...w, categoryName: menu.categories[w.category]?.displayName, waitedSeconds: Math.max(0, Math.round((now - w.queuedAt) / 1000)) }));
    res.json({
      serverNow: now,
      queue: { length: calls.length, longestWaitSeconds: calls.reduce((m, c) => Math.max(m, c.waitedSeconds), 0), calls },
      operators: { byState, list: shown },
      today,
      categories: Object.fromEntries(Object.values(menu.categories).map((c) => [c.id, c.displayName])),
    });
  });

  router.get('/api/reports/calls', guard('/api/reports/calls'), async (req, res) => {
    const { filter, limit, offset } = filterOf(req);
    const rows = await reports.listCalls(filter, { limit, offset });
    res.json({ calls: rows, limit, offset, range: filter.range, timeZone: tz });
  });

  router.get('/api/reports/calls.csv', guard('/api/reports/calls.csv'), async (req, res) => {
    const { filter } = filterOf(req);
    const csv = await reports.exportCsv(filter);
    const name = `siaga112-calls-${localDate(filter.range!.from, tz)}-${localDate(Math.max(filter.range!.from, filter.range!.to - 1), tz)}.csv`;
    res.setHeader('Content-Type', 'text/csv; charset=utf-8; header=present');
    res.setHeader('Content-Disposition', `attachment; filename="${name}"`);
    res.setHeader('Cache-Control', 'no-store');
    res.send(csv);
  });

  router.get('/api/reports/calls/:id', guard('/api/reports/calls/:id'), async (req, res) => {
    const id = parseInput(z.object({ id: idSchema }), { id: req.params.id }, 'path').id;
    res.json(await reports.callDetail(id));
  });

  router.get('/api/reports/daily', guard('/api/reports/daily'), async (req, res) => {
    const q = parseInput(dailyQuery, req.query, 'query');
    res.json(await reports.daily(q.date ?? localDate(clock.now(), tz), q.since));
  });

  router.get('/api/reports/monthly', guard('/api/reports/monthly'), async (req, res) => {
    const q = parseInput(monthlyQuery, req.query, 'query');
    res.json(await reports.monthly(q.month ?? localDate(clock.now(), tz).slice(0, 7), q.since));
  });

  router.get('/api/reports/repeat-callers', guard('/api/reports/repeat-callers'), async (req, res) => {
    const q = parseInput(repeatQuery, req.query, 'query');
    const today = localDate(clock.now(), tz);
    const from = q.from ?? localDate(clock.now() - 29 * 24 * 3600_000, tz);
    const range = reports.dates(from, q.to ?? today);
    res.json({ range, min: q.min, callers: await reports.repeatCallers(range, q.min) });
  });

  return router;
}
