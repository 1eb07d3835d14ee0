import { Router, type Request } from 'express';
import { z } from 'zod';
import type { CallCenter } from '../../app/call-center';
import type { Clock } from '../../core/clock';
import { ForbiddenError, NotFoundError, ValidationError, isSiaga112Error } from '../../core/errors';
import type { Logger } from '../../core/logger';
import type { IvrMenu } from '../../domain/ivr/menu';
import type { Agency } from '../../domain/outcome/outcome';
import { CLASSIFICATIONS, type CallbackTask } from '../../domain/types';
import type { Account, Role } from '../../ports/account-store';
import type { CallStore } from '../../ports/call-store';
import type { Dispatch, OperatorSnapshot } from '../../queue';
import { parseInput } from '../../accounts/parse-input';
import { authOf } from '../auth/auth-context';
import type { AuthMiddleware } from '../auth/auth-middleware';
import { callbackStatusSchema, idSchema, notReadySchema, NOT_READY_REASONS } from './api-schemas';
import { callView, callerHistory, HISTORY_DAYS, type MyCallView } from './call-views';
import { jsonBody } from './json-body';

export interface ConsoleApiDeps {
  callCenter: Pick<CallCenter, 'submitOutcome' | 'takeCallback' | 'listCallbacks'>;
  dispatch: Pick<Dispatch, 'operators' | 'queueSnapshot'>;
  store: CallStore;
  /** From createAuth(): enforces the session, the role and the CSRF token. */
  auth: Pick<AuthMiddleware, 'requireRole'>;
  clock: Clock;
  menu: IvrMenu;
  /** agencyList(config.agencies). */
  agencies: ReadonlyArray<Agency>;
  logger: Logger;
}

const ALL: Role[] = ['operator', 'supervisor', 'admin'];

/**
 * Every route of the console API and the roles that may use it. The router
 * below is built from this table, so the table is what is enforced; the
 * docs (docs/api.md) and the tests read it too.
 */
export const CONSOLE_API_ROUTES = [
  { method: 'GET', path: '/api/console/config', roles: ALL },
  { method: 'GET', path: '/api/me/operator', roles: ['operator'] },
  { method: 'POST', path: '/api/me/ready', roles: ['operator'] },
  { method: 'POST', path: '/api/me/not-ready', roles: ['operator'] },
  { method: 'POST', path: '/api/me/offline', roles: ['operator'] },
  { method: 'GET', path: '/api/me/call', roles: ['operator'] },
  { method: 'POST', path: '/api/calls/:id/outcome', roles: ['operator'] },
  { method: 'GET', path: '/api/calls/:id', roles: ALL },
  { method: 'GET', path: '/api/callbacks', roles: ['operator', 'supervisor'] },
  { method: 'POST', path: '/api/callbacks/:id/take', roles: ['operator'] },
  { method: 'GET', path: '/api/queue', roles: ['supervisor', 'admin'] },
  { method: 'GET', path: '/api/operators', roles: ['supervisor', 'admin'] },
] as const satisfies ReadonlyArray<{ method: 'GET' | 'POST'; path: string; roles: readonly Role[] }>;

type RoutePath = (typeof CONSOLE_API_ROUTES)[number]['path'];

/**
 * The pool marks an operator `offered` for the instant a dispatcher holds
 * them while it looks for a call; with no call bound that is still "ready"
 * to the person at the console.
 */
export function presentOperator(snap: OperatorSnapshot): OperatorSnapshot {
  if (snap.state === 'offered' && !snap.offeredCallId) return { ...snap, state: 'ready', free: snap.softphoneRegistered };
  return snap;
}

/**
 * The JSON API behind the operator console (and other tools): the
 * operator's own state and call, outcomes, callbacks, and the supervisor's
 * view of the queue and the operators. Mount at the root: `app.use(router)`.
 */
export function createConsoleApi(deps: ConsoleApiDeps): Router {
  const { callCenter, dispatch, store, auth, clock, menu, agencies, logger } = deps;
  const router = Router();
  router.use(['/api/me', '/api/calls', '/api/callbacks'], jsonBody());

  const guard = (path: RoutePath) => {
    const route = CONSOLE_API_ROUTES.find((r) => r.path === path);
    if (!route) throw new Error(`no route ${path} in CONSOLE_API_ROUTES`);
    return auth.requireRole(...route.roles);
  };
  const me = (req: Request): Account => authOf(req).account;
  const param = (req: Request, name: string): string => parseInput(z.object({ [name]: idSchema }), { [name]: req.params[name] }, 'path')[name] as string;

  /** The operator's pool entry, or an offline stand-in when the pool has never seen them. */
  async function snapshotOf(account: Account): Promise<OperatorSnapshot> {
    try {
      return presentOperator(await dispatch.operators.snapshot(account.id));
    } catch (err) {
      if (!(err instanceof NotFoundError)) throw err;
      return { id: account.id, endpoint: account.endpoint ?? '', displayName: account.displayName, state: 'offline', free: false, softphoneRegistered: false };
    }
  }

  /** Put the operator in the pool (idempotent) and log them in when offline: the console is where a shift starts. */
  async function signedIn(account: Account): Promise<OperatorSnapshot> {
    if (!account.endpoint) throw new ValidationError('This operator account has no softphone endpoint: ask an admin to set one', [{ field: 'endpoint', message: 'required for operators' }]);
    await dispatch.operators.define({ id: account.id, displayName: account.displayName, endpoint: account.endpoint });
    const snap = presentOperator(await dispatch.operators.snapshot(account.id));
    if (snap.state !== 'offline') return snap;
    await dispatch.operators.login(account.id);
    logger.info('operator signed in from the console', { operatorId: account.id });
    return presentOperator(await dispatch.operators.snapshot(account.id));
  }

  router.get('/api/console/config', guard('/api/console/config'), (_req, res) => {
    res.json({
      categories: Object.values(menu.categories)
        .sort((a, b) => a.priority - b.priority || a.id.localeCompare(b.id))
        .map((c) => ({ id: c.id, priority: c.priority, displayName: c.displayName })),
      classifications: CLASSIFICATIONS,
      agencies: agencies.map((a) => ({ id: a.id, name: a.name, numbers: a.numbers })),
      notReadyReasons: NOT_READY_REASONS,
      languages: Object.values(menu.languages).map((l) => ({ id: l.id, name: l.name })),
      historyDays: HISTORY_DAYS,
    });
  });

  router.get('/api/me/operator', guard('/api/me/operator'), async (req, res) => {
    res.json({ operator: await snapshotOf(me(req)), serverNow: clock.now() });
  });

  router.post('/api/me/ready', guard('/api/me/ready'), async (req, res) => {
    const account = me(req);
    const snap = await signedIn(account);
    if (snap.state !== 'ready') await dispatch.operators.setReady(account.id);
    res.json({ operator: await snapshotOf(account) });
  });

  router.post('/api/me/not-ready', guard('/api/me/not-ready'), async (req, res) => {
    const account = me(req);
    const { reason } = parseInput(notReadySchema, req.body, 'not-ready request');
    const snap = await signedIn(account);
    // From ready, or not ready for another reason (the pool allows not_ready → not_ready).
    if (snap.state !== 'not_ready' || snap.reason !== reason) await dispatch.operators.setNotReady(account.id, reason);
    res.json({ operator: await snapshotOf(account) });
  });

  router.post('/api/me/offline', guard('/api/me/offline'), async (req, res) => {
    const account = me(req);
    const snap = await snapshotOf(account);
    if (snap.state !== 'offline') await dispatch.operators.logout(account.id);
    res.json({ operator: await snapshotOf(account) });
  });

  router.get('/api/me/call', guard('/api/me/call'), async (req, res) => {
    const account = me(req);
    const snap = await snapshotOf(account);
    const now = clock.now();
    let current: MyCallView | null = null;
    const phase: MyCallView['phase'] | undefined = snap.offeredCallId ? 'offered' : snap.callId ? 'on_call' : snap.wrapUpCallId ? 'wrap_up' : undefined;
    const callId = snap.offeredCallId ?? snap.callId ?? snap.wrapUpCallId;
    let taskId: string | undefined;
    let targetId = callId;
    if (!targetId) {
      // No call on the softphone: a callback taken and not yet recorded is the work at hand.
      const task = (await callCenter.listCallbacks('taken')).find((t) => t.takenBy === account.id);
      targetId = task?.callId;
      taskId = task?.id;
    }
    const call = targetId ? await store.getCall(targetId) : undefined;
    if (call) {
      const outcome = await store.getOutcome(call.id);
      current = {
        phase: phase ?? 'callback',
        call: callView(call, menu, now),
        history: await callerHistory(store, call, now),
        ...(outcome ? { outcome } : {}),
        ...(phase === 'wrap_up' && snap.wrapUpUntil ? { wrapUpUntil: snap.wrapUpUntil } : {}),
        ...(taskId ? { callbackTaskId: taskId } : {}),
      };
    }
    res.json({ current, serverNow: now });
  });

  router.post('/api/calls/:id/outcome', guard('/api/calls/:id/outcome'), async (req, res) => {
    const account = me(req);
    const callId = param(req, 'id');
    const outcome = await callCenter.submitOutcome(account.id, callId, req.body);
    logger.info('outcome submitted', { callId, operatorId: account.id, classification: outcome.classification });
    res.status(201).json({ outcome });
  });

  router.get('/api/calls/:id', guard('/api/calls/:id'), async (req, res) => {
    const account = me(req);
    const callId = param(req, 'id');
    const call = await store.getCall(callId);
    if (!call) throw new NotFoundError('call', callId);
    if (account.role === 'operator' && call.operatorId !== account.id) {
      const all = [...(await callCenter.listCallbacks('taken')), ...(await callCenter.listCallbacks('done'))];
      if (!all.some((t) => t.callId === callId && t.takenBy === account.id)) {
        throw new ForbiddenError('Operators see only the calls they took');
      }
    }
    const [timeline, outcome] = await Promise.all([store.getTimeline(callId), store.getOutcome(callId)]);
    res.json({ call: callView(call, menu, clock.now()), timeline, outcome: outcome ?? null });
  });

  router.get('/api/callbacks', guard('/api/callbacks'), async (req, res) => {
    const account = me(req);
    const status = parseInput(z.object({ status: callbackStatusSchema.default('open') }), { status: req.query.status }, 'query').status;
    const now = clock.now();
    const view = async (t: CallbackTask) => {
      const call = await store.getCall(t.callId);
      const category = call?.category ? menu.categories[call.category] : undefined;
      return {
        ...t,
        ...(call?.category ? { category: call.category } : {}),
        ...(category ? { categoryName: category.displayName } : {}),
        waitingSeconds: Math.max(0, Math.round((now - t.createdAt) / 1000)),
      };
    };
    const tasks = await callCenter.listCallbacks(status);
    const mine = status === 'taken' ? tasks.filter((t) => t.takenBy === account.id) : (await callCenter.listCallbacks('taken')).filter((t) => t.takenBy === account.id);
    res.json({ status, callbacks: await Promise.all(tasks.slice(0, 200).map(view)), mine: await Promise.all(mine.map(view)), serverNow: now });
  });

  router.post('/api/callbacks/:id/take', guard('/api/callbacks/:id/take'), async (req, res) => {
    const account = me(req);
    const taskId = param(req, 'id');
    try {
      const callback = await callCenter.takeCallback(taskId, account.id);
      res.json({ callback });
    } catch (err) {
      if (isSiaga112Error(err) && err.httpStatus === 409) logger.info('callback already taken', { taskId, operatorId: account.id });
      throw err;
    }
  });

  router.get('/api/queue', guard('/api/queue'), async (_req, res) => {
    const now = clock.now();
    const waiting = await dispatch.queueSnapshot();
    const calls = waiting.map((w) => ({
      ...w,
      categoryName: menu.categories[w.category]?.displayName,
      waitedSeconds: Math.max(0, Math.round((now - w.queuedAt) / 1000)),
    }));
    const longest = calls.reduce((m, c) => Math.max(m, c.waitedSeconds), 0);
    res.json({ calls, length: calls.length, longestWaitSeconds: longest, serverNow: now });
  });

  router.get('/api/operators', guard('/api/operators'), async (_req, res) => {
    res.json({ operators: (await dispatch.operators.list()).map(presentOperator), serverNow: clock.now() });
  });

  return router;
}
