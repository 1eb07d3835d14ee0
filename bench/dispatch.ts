/**
 * Dispatch latency: from "call queued while an operator is free" and from
 * "operator freed while calls wait" to the ring command (OperatorRinger.ring
 * called), for 1, 10 and 100 operators, on one instance and a real Redis.
 * Uses REDIS_URL when set (keys under a private prefix, deleted afterwards),
 * otherwise starts and stops a private redis-server.
 *
 *   npm run bench:dispatch
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { ChildProcess } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import { Redis } from 'ioredis';
import { systemClock } from '../src/core/clock';
import { silentLogger } from '../src/core/logger';
import { configSchema } from '../src/config/schema';
import { DomainEventBus } from '../src/domain/events';
import type { Offer, OperatorRinger, RingResult } from '../src/ports/telephony';
import { createDispatch } from '../src/queue/create-dispatch';
import { noopObserver } from '../src/queue/dispatch-observer';

interface Launcher {
  startPrivateRedis(opts: { dir: string; appendonly?: boolean }): Promise<{ url: string; child: ChildProcess }>;
}

const WAITING_CALLS = 1000;
/** The brief's load: 100 new calls a second. */
const RATE_INTERVAL_MS = 10;

function sleepUntil(t: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, Math.max(0, t - performance.now())));
}
const OPERATOR_COUNTS = [1, 10, 100];

interface Figures {
  scenario: string;
  operators: number;
  samples: number;
  p50: number;
  p95: number;
  p99: number;
  callsPerS: number;
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

function figures(scenario: string, operators: number, latencies: number[], elapsedMs: number): Figures {
  const s = [...latencies].sort((a, b) => a - b);
  return { scenario, operators, samples: s.length, p50: percentile(s, 50), p95: percentile(s, 95), p99: percentile(s, 99), callsPerS: (s.length / elapsedMs) * 1000 };
}

/** Answers at once and tells the bench when each ring command was issued. */
class BenchRinger implements OperatorRinger {
  onRing: (offer: Offer, at: number) => void = () => undefined;
  async ring(offer: Offer): Promise<RingResult> {
    this.onRing(offer, performance.now());
    return 'answered';
  }
}

function deferred<T>(): { promise: Promise<T>; resolve: (v: T) => void } {
  let resolve!: (v: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

async function setUp(url: string, prefix: string, operators: number) {
  const ringer = new BenchRinger();
  const answered = new Map<string, { promise: Promise<void>; resolve: (v: void) => void }>();
  const waitAnswered = (callId: string): Promise<void> => {
    let d = answered.get(callId);
    if (!d) answered.set(callId, (d = deferred<void>()));
    return d.promise;
  };
  const dispatch = createDispatch({
    redisUrl: url,
    clock: systemClock,
    config: configSchema.shape.dispatch.parse({}),
    ivrReassuranceMs: 0,
    ringer,
    waiting: { reassure: async () => undefined, transfer: async () => undefined },
    observer: {
      ...noopObserver,
      onAnswered: async (e) => {
        waitAnswered(e.callId);
        answered.get(e.callId)?.resolve();
      },
    },
    events: new DomainEventBus(),
    instanceId: 'bench',
    logger: silentLogger(),
    prefix,
  });
  await dispatch.start();
  const ids = Array.from({ length: operators }, (_, i) => `op${i + 1}`);
  for (const id of ids) {
    await dispatch.operators.define({ id, displayName: id, endpoint: `PJSIP/${id}` });
    await dispatch.operators.login(id);
    await dispatch.operators.setSoftphone(id, true);
  }
  return { dispatch, ringer, ids, waitAnswered };
}

let seq = 0;
const newCall = (priority: number) => ({ callId: `bench_${process.pid}_${++seq}`, category: 'general', priority, language: 'id', callerNumber: '081234567890' });

/**
 * Calls arrive while operators are free: enqueue → ring. `atRate`: a new call
 * every 10 ms (the brief's 100 calls/s), each answered at once, its wrap-up
 * ended at once; otherwise one arrival after the other has been served.
 */
async function queuedWhileFree(url: string, prefix: string, operators: number, atRate: boolean): Promise<Figures> {
  const { dispatch, ringer, ids, waitAnswered } = await setUp(url, prefix, operators);
  for (const id of ids) await dispatch.operators.setReady(id);
  const started = new Map<string, number>();
  const operatorOf = new Map<string, string>();
  const latencies: number[] = [];
  ringer.onRing = (offer, at) => {
    const t0 = started.get(offer.callId);
    if (t0 !== undefined) latencies.push(at - t0);
    operatorOf.set(offer.callId, offer.operatorId);
  };
  const serve = async (c: ReturnType<typeof newCall>): Promise<void> => {
    started.set(c.callId, performance.now());
    await dispatch.enqueue(c);
    await waitAnswered(c.callId);
    const operatorId = operatorOf.get(c.callId);
    await dispatch.callEnded(c.callId);
    if (operatorId) await dispatch.operators.endWrapUp(operatorId);
  };
  const t0 = performance.now();
  if (atRate) {
    const all: Promise<void>[] = [];
    for (let i = 0; i < WAITING_CALLS; i++) {
      all.push(serve(newCall(1 + (i % 3))));
      await sleepUntil(t0 + (i + 1) * RATE_INTERVAL_MS);
    }
    await Promise.all(all);
  } else {
    for (let i = 0; i < WAITING_CALLS; i++) await serve(newCall(1 + (i % 3)));
  }
  const elapsed = performance.now() - t0;
  await dispatch.stop();
  return figures(atRate ? 'queued while free, 100/s' : 'queued while free', operators, latencies, elapsed);
}

/**
 * 1,000 calls wait; operators are freed (ready, later wrap-up ended) → ring.
 * `mode` serial: one operator freed after the other, round robin; rate: one
 * freed every 10 ms (100 calls/s) whichever is in wrap-up longest; burst
 * (saturation): all N freed at once, wave after wave, as fast as it goes.
 */
async function freedWhileWaiting(url: string, prefix: string, operators: number, mode: 'serial' | 'rate' | 'burst'): Promise<Figures> {
  const burst = mode === 'burst';
  const { dispatch, ringer, ids, waitAnswered } = await setUp(url, prefix, operators);
  for (let i = 0; i < WAITING_CALLS; i++) await dispatch.enqueue(newCall(1 + (i % 3)));
  const freedAt = new Map<string, number>();
  const nextRing = new Map<string, (callId: string | undefined) => void>();
  const latencies: number[] = [];
  let rung = 0;
  ringer.onRing = (offer, at) => {
    const t0 = freedAt.get(offer.operatorId);
    if (t0 !== undefined) latencies.push(at - t0);
    rung += 1;
    nextRing.get(offer.operatorId)?.(offer.callId);
    if (rung === WAITING_CALLS) for (const done of nextRing.values()) done(undefined);
  };
  const lanes = burst ? ids.map((id) => [id]) : [ids];
  const freed = new Set<string>();
  const t0 = performance.now();
  if (mode === 'rate') {
    // Operators wait in wrap-up (or not ready at first) in a FIFO; one is freed every 10 ms.
    const inWrapUp: string[] = [...ids];
    const all: Promise<void>[] = [];
    for (let i = 0; rung < WAITING_CALLS; i++) {
      await sleepUntil(t0 + i * RATE_INTERVAL_MS);
      if (rung >= WAITING_CALLS) break;
      const id = inWrapUp.shift();
      if (!id) continue;
      const ringFor = new Promise<string | undefined>((resolve) => nextRing.set(id, resolve));
      freedAt.set(id, performance.now());
      all.push(
        (freed.has(id) ? dispatch.operators.endWrapUp(id) : dispatch.operators.setReady(id))
          .then(() => ringFor)
          .then(async (callId) => {
            if (!callId) return;
            await waitAnswered(callId);
            await dispatch.callEnded(callId);
            inWrapUp.push(id);
          }),
      );
      freed.add(id);
    }
    await Promise.all(all);
  } else await Promise.all(
    lanes.map(async (lane) => {
      for (let i = 0; ; i++) {
        if (rung >= WAITING_CALLS) return;
        const id = lane[i % lane.length];
        const ringFor = new Promise<string | undefined>((resolve) => nextRing.set(id, resolve));
        freedAt.set(id, performance.now());
        if (!freed.has(id)) await dispatch.operators.setReady(id);
        else await dispatch.operators.endWrapUp(id);
        freed.add(id);
        const callId = await ringFor;
        if (!callId) return;
        await waitAnswered(callId);
        await dispatch.callEnded(callId);
      }
    }),
  );
  const elapsed = performance.now() - t0;
  await dispatch.stop();
  return figures(mode === 'burst' ? 'freed, saturation burst' : mode === 'rate' ? 'freed while waiting, 100/s' : 'freed while calls wait', operators, latencies, elapsed);
}

async function deletePrefix(url: string, prefix: string): Promise<void> {
  const redis = new Redis(url);
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
    cursor = next;
    if (keys.length > 0) await redis.del(...keys);
  } while (cursor !== '0');
  redis.disconnect();
}

async function main(): Promise<void> {
  let url = process.env.REDIS_URL;
  let child: ChildProcess | undefined;
  let dir: string | undefined;
  if (!url) {
    dir = mkdtempSync(path.join(os.tmpdir(), 'siaga112-bench-redis-'));
    const launcher = (await import(path.resolve(__dirname, '../scripts/redis-launcher.mjs'))) as Launcher;
    const started = await launcher.startPrivateRedis({ dir, appendonly: true });
    url = started.url;
    child = started.child;
    // Never leave the private server behind, even when interrupted.
    const stopServer = (): void => {
      started.child.kill('SIGKILL');
      process.exit(130);
    };
    process.once('SIGINT', stopServer);
    process.once('SIGTERM', stopServer);
    console.log(`private redis-server at ${url} (appendonly yes, appendfsync everysec)`);
  }
  const results: Figures[] = [];
  const prefixes: string[] = [];
  try {
    const runs: Array<{ run: (url: string, prefix: string, n: number) => Promise<Figures>; latency: boolean }> = [
      { run: (u, p, n) => queuedWhileFree(u, p, n, false), latency: true },
      { run: (u, p, n) => freedWhileWaiting(u, p, n, 'serial'), latency: true },
      { run: (u, p, n) => queuedWhileFree(u, p, n, true), latency: true },
      { run: (u, p, n) => freedWhileWaiting(u, p, n, 'rate'), latency: true },
      // Saturation: every operator freed at once, wave after wave. It measures throughput;
      // its latency is queueing behind the other frees, so it is not in RESULT.
      { run: (u, p, n) => freedWhileWaiting(u, p, n, 'burst'), latency: false },
    ];
    // A short warm-up run (JIT, script cache) that is not counted.
    prefixes.push(`bench${process.pid}w`);
    await queuedWhileFree(url, prefixes[0], 1, false);
    for (const n of OPERATOR_COUNTS) {
      for (const { run, latency } of runs) {
        // One operator cannot take 100 calls a second: arrivals would wait for them, not for dispatch.
        if (run === runs[2].run && n < 10) continue;
        const prefix = `bench${process.pid}x${prefixes.length}`;
        prefixes.push(prefix);
        const f = await run(url, prefix, n);
        if (latency) results.push(f);
        console.log(
          `${f.scenario.padEnd(28)} operators=${String(f.operators).padStart(3)} samples=${f.samples} ` +
            `p50=${f.p50.toFixed(2)}ms p95=${f.p95.toFixed(2)}ms p99=${f.p99.toFixed(2)}ms calls/s=${f.callsPerS.toFixed(0)}`,
        );
      }
    }
  } finally {
    if (child) {
      await new Promise<void>((resolve) => {
        child?.once('exit', () => resolve());
        child?.kill('SIGTERM');
      });
      if (dir) rmSync(dir, { recursive: true, force: true });
    } else {
      for (const p of prefixes) await deletePrefix(url, p);
    }
  }
  const worst = results.reduce((a, b) => (b.p99 > a.p99 ? b : a));
  console.log(`RESULT dispatch_p50_ms=${worst.p50.toFixed(2)} dispatch_p99_ms=${worst.p99.toFixed(2)} calls_per_s=${worst.callsPerS.toFixed(0)}`);
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
