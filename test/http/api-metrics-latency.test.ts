import { expect } from 'chai';
import { DomainEventBus } from '../../src/domain/events';
import { systemClock } from '../../src/core/clock';
import { silentLogger } from '../../src/core/logger';
import { DispatchLatencyFromEvents, createMetrics, type MetricsOptions } from '../../src/http/metrics';

describe('Dispatch latency from domain events', () => {
  let bus: DomainEventBus;
  let seen: number[];
  let tracker: DispatchLatencyFromEvents;
  const queued = (callId: string, at: number) => bus.publish({ type: 'call.queued', at, callId, category: 'general', priority: 3, language: 'id' });
  const offered = (callId: string, at: number) => bus.publish({ type: 'call.offered', at, callId, operatorId: 'op1' });
  const ready = (at: number) => bus.publish({ type: 'operator.state', at, operatorId: 'op1', from: 'not_ready', to: 'ready' });

  beforeEach(() => {
    bus = new DomainEventBus();
    seen = [];
    tracker = new DispatchLatencyFromEvents(bus, (s) => seen.push(s));
  });
  afterEach(() => tracker.stop());

  it('a call queued while an operator is free: from queued to offered', () => {
    ready(1000);
    queued('a', 5000);
    queued('a', 5002); // the second publisher of call.queued does not restart the clock
    offered('a', 5007);
    expect(seen).to.deep.equal([0.007]);
    expect(tracker.tracked).to.equal(0);
  });

  it('a call waiting for an operator: from the operator becoming ready to offered', () => {
    queued('b', 1000);
    ready(61_000);
    offered('b', 61_003);
    expect(seen).to.deep.equal([0.003]);
  });

  it('a missed call requeued: from the requeue', () => {
    ready(0);
    queued('c', 1000);
    offered('c', 1001);
    bus.publish({ type: 'call.requeued', at: 16_000, callId: 'c' });
    offered('c', 16_002);
    expect(seen).to.deep.equal([0.001, 0.002]);
  });

  it('an abandoned call is forgotten; an offer of an unknown call records nothing', () => {
    queued('d', 1000);
    bus.publish({ type: 'call.abandoned', at: 2000, callId: 'd', where: 'queue' });
    offered('d', 3000);
    offered('zzz', 3000);
    expect(seen).to.deep.equal([]);
    expect(tracker.tracked).to.equal(0);
  });
});

describe('Process metrics names', () => {
  it('carry the siaga112_ prefix once (siaga112_process_*, siaga112_nodejs_*), not siaga112_process_process_*', async () => {
    const metrics = createMetrics({
      events: new DomainEventBus(),
      dispatch: { queueSnapshot: async () => [], operators: { list: async () => [] } } as unknown as MetricsOptions['dispatch'],
      store: { findActive: async () => [], listCallbacks: async () => [] },
      clock: systemClock,
      logger: silentLogger(),
      latencyFromEvents: false,
    });
    try {
      const names = metrics.registry.getMetricsAsArray().map((m) => m.name);
      expect(names).to.include.members(['siaga112_process_cpu_user_seconds_total', 'siaga112_process_resident_memory_bytes', 'siaga112_nodejs_eventloop_lag_seconds', 'siaga112_nodejs_heap_size_used_bytes']);
      expect(names.filter((n) => n.startsWith('siaga112_process_process_') || n.startsWith('siaga112_process_nodejs_'))).to.deep.equal([]);
      expect(names.filter((n) => !n.startsWith('siaga112_'))).to.deep.equal([]);
    } finally {
      metrics.stop();
    }
  });
});
