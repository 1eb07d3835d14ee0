import { timingSafeEqual } from 'node:crypto';
import { Router } from 'express';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { Clock } from '../../core/clock';
import { UnauthenticatedError } from '../../core/errors';
import type { Logger } from '../../core/logger';
import type { DomainEventBus } from '../../domain/events';
import { CALL_STATES, OPERATOR_STATES } from '../../domain/types';
import type { CallStore } from '../../ports/call-store';
import type { Dispatch } from '../../queue';
import { DispatchLatencyFromEvents } from './dispatch-latency';

export interface MetricsOptions {
  events: DomainEventBus;
  dispatch: Pick<Dispatch, 'queueSnapshot' | 'operators'>;
  store: Pick<CallStore, 'findActive' | 'listCallbacks'>;
  clock: Clock;
  logger: Logger;
  /**
   * When set, GET /metrics needs `Authorization: Bearer <token>` (a
   * Prometheus `authorization` credential). Without it, expose /metrics only
   * on a network Prometheus alone can reach.
   */
  token?: string;
  /** Node.js process metrics (memory, event loop lag, ...). @defaultValue true */
  processMetrics?: boolean;
  /** Derive the dispatch latency from domain events. @defaultValue true */
  latencyFromEvents?: boolean;
  /** @defaultValue /metrics */
  path?: string;
}

export interface Metrics {
  /** GET /metrics in the Prometheus text format. */
  router: Router;
  registry: Registry;
  /** Record one dispatch latency (seconds) measured elsewhere. */
  recordDispatchLatency(seconds: number): void;
  stop(): void;
}

const LATENCY_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];
const WAIT_BUCKETS = [1, 2, 5, 10, 15, 20, 30, 45, 60, 90, 120, 300, 600];
const SEEN_CAP = 10_000;

/**
 * Prometheus metrics of one instance. Queue, operators and active calls are
 * read from Redis and the store at scrape time (so every instance reports
 * the shared picture); counters and histograms count what this instance saw
 * on its event bus.
 */
export function createMetrics(options: MetricsOptions): Metrics {
  const { events, dispatch, store, clock, logger } = options;
  const registry = new Registry();
  if (options.processMetrics ?? true) collectDefaultMetrics({ register: registry, prefix: 'siaga112_' });

  new Gauge({
    name: 'siaga112_calls_active',
    help: 'Calls not yet ended, by state (new, in_ivr, queued, offered, connected)',
    labelNames: ['state'],
    registers: [registry],
    async collect() {
      this.reset();
      const counts = new Map<string, number>(CALL_STATES.filter((s) => s !== 'ended').map((s) => [s, 0]));
      for (const c of await store.findActive()) counts.set(c.state, (counts.get(c.state) ?? 0) + 1);
      for (const [state, n] of counts) this.set({ state }, n);
    },
  });
  const ended = new Counter({ name: 'siaga112_calls_ended_total', help: 'Calls ended, by reason (completed, abandoned_in_ivr, abandoned_in_queue, failed, transferred)', labelNames: ['reason'], registers: [registry] });
  const queuedTotal = new Counter({ name: 'siaga112_calls_queued_total', help: 'Calls that joined the queue', labelNames: ['category'], registers: [registry] });
  const missed = new Counter({ name: 'siaga112_offers_missed_total', help: 'Offers an operator did not answer, by result', labelNames: ['result'], registers: [registry] });

  new Gauge({
    name: 'siaga112_queue_length',
    help: 'Calls waiting for an operator',
    registers: [registry],
    async collect() {
      this.set((await dispatch.queueSnapshot()).length);
    },
  });
  new Gauge({
    name: 'siaga112_queue_longest_wait_seconds',
    help: 'How long the longest-waiting call has waited in the queue (0 when none waits)',
    registers: [registry],
    async collect() {
      const now = clock.now();
      const waiting = await dispatch.queueSnapshot();
      this.set(waiting.reduce((m, w) => Math.max(m, (now - w.queuedAt) / 1000), 0));
    },
  });
  new Gauge({
    name: 'siaga112_operators',
    help: 'Operators by state (offline, ready, not_ready, offered, on_call, wrap_up)',
    labelNames: ['state'],
    registers: [registry],
    async collect() {
      this.reset();
      const counts = new Map<string, number>(OPERATOR_STATES.map((s) => [s, 0]));
      for (const o of await dispatch.operators.list()) counts.set(o.state, (counts.get(o.state) ?? 0) + 1);
      for (const [state, n] of counts) this.set({ state }, n);
    },
  });
  new Gauge({
    name: 'siaga112_operators_free',
    help: 'Operators who can be offered a call now (ready with a registered softphone)',
    registers: [registry],
    async collect() {
      this.set((await dispatch.operators.list()).filter((o) => o.free).length);
    },
  });
  new Gauge({
    name: 'siaga112_callbacks_open',
    help: 'Callback tasks for abandoned calls that nobody has taken',
    registers: [registry],
    async collect() {
      this.set((await store.listCallbacks('open')).length);
    },
  });
  const latency = new Histogram({
    name: 'siaga112_dispatch_latency_seconds',
    help: 'From a call becoming dispatchable (queued, or an operator ready while it waits) to the offer (ring command)',
    buckets: LATENCY_BUCKETS,
    registers: [registry],
  });
  const wait = new Histogram({
    name: 'siaga112_queue_wait_seconds',
    help: 'From joining the queue to an operator answering',
    buckets: WAIT_BUCKETS,
    registers: [registry],
  });

  // The call centre and the dispatcher both publish some events (call.queued,
  // call.ended): count each call once.
  const seen = new Map<string, number>();
  const once = (key: string): boolean => {
    if (seen.has(key)) return false;
    seen.set(key, 1);
    if (seen.size > SEEN_CAP) seen.delete(seen.keys().next().value as string);
    return true;
  };
  const queuedAt = new Map<string, number>();
  const unsubscribe = events.subscribe((e) => {
    switch (e.type) {
      case 'call.queued':
        if (once(`q:${e.callId}`)) {
          queuedTotal.inc({ category: e.category });
          queuedAt.set(e.callId, e.at);
          if (queuedAt.size > SEEN_CAP) queuedAt.delete(queuedAt.keys().next().value as string);
        }
        return;
      case 'call.answered': {
        const at = queuedAt.get(e.callId);
        if (at !== undefined && once(`a:${e.callId}`)) wait.observe(Math.max(0, e.at - at) / 1000);
        queuedAt.delete(e.callId);
        return;
      }
      case 'call.missed':
        missed.inc({ result: e.result });
        return;
      case 'call.ended':
        if (once(`e:${e.callId}`)) ended.inc({ reason: e.reason });
        queuedAt.delete(e.callId);
        return;
      default:
        return;
    }
  });
  const tracker = options.latencyFromEvents === false ? undefined : new DispatchLatencyFromEvents(events, (s) => latency.observe(s));

  const expected = options.token ? Buffer.from(`Bearer ${options.token}`) : undefined;
  const router = Router();
  router.get(options.path ?? '/metrics', async (req, res) => {
    if (expected) {
      const given = Buffer.from(req.get('authorization') ?? '');
      if (given.length !== expected.length || !timingSafeEqual(given, expected)) throw new UnauthenticatedError('Send Authorization: Bearer <metrics token>');
    }
    try {
      const body = await registry.metrics();
      res.set('Content-Type', registry.contentType).send(body);
    } catch (err) {
      logger.error('metrics collection failed', { err });
      throw err;
    }
  });

  return {
    router,
    registry,
    recordDispatchLatency: (s) => latency.observe(s),
    stop() {
      unsubscribe();
      tracker?.stop();
    },
  };
}
