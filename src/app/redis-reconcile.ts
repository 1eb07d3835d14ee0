import type { Redis } from 'ioredis';
import { errorMessage } from '../core/errors';
import type { Logger } from '../core/logger';
import type { CallBackend, OperatorAccount } from '../domain/types';
import type { Dispatch } from '../queue/create-dispatch';
import type { CallCenter } from './call-center';

export interface RedisReconcileDeps {
  dispatch: Pick<Dispatch, 'operators'>;
  center: Pick<CallCenter, 'activeCalls' | 'queueDirectly'>;
  operators: ReadonlyArray<OperatorAccount>;
  /** The back end whose waiting calls this instance holds (their channels are here); none: operators only. */
  backend?: CallBackend;
  /** False while this instance holds no calls (a standby): its waiting calls are another instance's. */
  holdsCalls(): boolean;
  /** Softphone registrations as the PBX reports them now, by endpoint (`PJSIP/op1`); absent when not known here. */
  softphones?: () => Promise<Map<string, boolean>>;
  logger: Logger;
}

/**
 * Redis came back after a gap (restart, failover, network). With appendonly
 * a restart keeps everything and this changes nothing. A Redis that lost its
 * data (killed within appendfsync's second, a replica promoted before it had
 * caught up) would have no operators and no queue: callers would hear music
 * for nothing and no operator could go ready. So put back, idempotently,
 * what this instance relies on: its operators (state kept when present),
 * their softphones as the PBX reports them, and every call waiting here
 * (ensureQueued keeps a call's place when it is still queued).
 */
export async function reconcileAfterRedis(deps: RedisReconcileDeps): Promise<{ operators: number; calls: number }> {
  const { dispatch, center, logger } = deps;
  for (const operator of deps.operators) await dispatch.operators.define(operator);
  if (deps.softphones) {
    try {
      const registered = await deps.softphones();
      for (const operator of deps.operators) {
        const state = registered.get(operator.endpoint);
        if (state !== undefined) await dispatch.operators.setSoftphone(operator.id, state);
      }
    } catch (err) {
      logger.warn('softphone registrations not read after Redis came back', { error: errorMessage(err) });
    }
  }
  let calls = 0;
  if (deps.backend && deps.holdsCalls()) {
    for (const call of await center.activeCalls(deps.backend)) {
      if (call.state !== 'queued') continue;
      try {
        // Under the call's lock; a call that left meanwhile (fail-safe, hang-up) is refused and skipped.
        await center.queueDirectly(call.id);
        calls += 1;
      } catch (err) {
        logger.info('a waiting call was not put back in the queue', { callId: call.id, error: errorMessage(err) });
      }
    }
  }
  return { operators: deps.operators.length, calls };
}

/**
 * Run `reconcile` each time the client is ready again after losing Redis
 * (never for the first connection). Runs never overlap; a return during a
 * run triggers one more run after it.
 */
export function onRedisReturn(redis: Redis, reconcile: () => Promise<unknown>, logger: Logger): void {
  let lost = false;
  let running: Promise<void> | undefined;
  let again = false;
  redis.on('reconnecting', () => {
    lost = true;
  });
  redis.on('ready', () => {
    if (!lost) return;
    lost = false;
    if (running) {
      again = true;
      return;
    }
    running = (async () => {
      do {
        again = false;
        try {
          const result = await reconcile();
          logger.info('Redis is back: operators and waiting calls checked', { result });
        } catch (err) {
          logger.warn('reconciliation after Redis came back failed', { error: errorMessage(err) });
        }
      } while (again);
    })().finally(() => {
      running = undefined;
    });
  });
}
