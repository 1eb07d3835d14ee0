/**
 * `npm run bench:calls`: load on the whole Asterisk path. The PBX simulator
 * runs in a separate process (so its own work does not count as the
 * service's); siaga112 runs here (startService, asterisk mode) on a private
 * redis-server and a temp SQLite.
 *
 * Callers arrive at RATE per second for SECONDS. Most go through the IVR
 * (greeting, menu, a digit: fire, medical, police or disaster), some hang up
 * in the IVR (silent and pocket calls), some press nothing (queued as
 * general after the retries). Waiting callers give up after their patience
 * (PATIENCE, a range: each caller its own); answered callers talk TALK
 * seconds (a range) and hang up. OPERATORS softphones ring 1 s and answer;
 * after each call the operator files the outcome WRAPUP seconds later
 * through CallCenter.submitOutcome (as the console does) and is free again.
 *
 * Prints the time the service adds per event (ARI event in → the first
 * command it causes out) p50/p99, the event loop's delay, time spent in the
 * call store, what became of the calls, new calls per second, peak
 * concurrency and memory (start/end and the slope after warm-up), ending
 * with one line
 * `RESULT event_p99_ms=… calls_per_s=… concurrent=… rss_mb_start=… rss_mb_end=…`.
 *
 * Env: BENCH_RATE (100), BENCH_SECONDS (120), BENCH_OPERATORS (200),
 * BENCH_PATIENCE ("5-30"), BENCH_TALK ("8-15"), BENCH_WRAPUP (2),
 * BENCH_WARMUP (60: seconds left out of the memory slope, until the number of calls up is steady),
 * BENCH_HEAP_SNAPSHOTS (a directory: heap snapshots at warm-up and at the end of the arrivals),
 * BENCH_GC_EVERY (seconds; run with node --expose-gc: a full GC at each mark and the heap kept after it, with its slope),
 * BENCH_LOG_LEVEL (error).
 */
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createHistogram, monitorEventLoopDelay, type RecordableHistogram } from 'node:perf_hooks';
import v8 from 'node:v8';
import { stringify } from 'yaml';
import { startService } from '../src/app/service';
import { DemoOperators } from '../src/app/demo-operators';
import { AccountService } from '../src/accounts/account-service';
import { Argon2Hasher } from '../src/accounts/password';
import { createAccountStore } from '../src/accounts/create-account-store';
import { configSchema } from '../src/config/schema';
import { systemClock } from '../src/core/clock';
import type { AriClientConnection } from '../src/asterisk/ari/ari-client-connection';
import type { AriEvent } from '../src/asterisk/ari/ari-types';
import type { CallStore } from '../src/ports/call-store';

const range = (v: string | undefined, fallback: [number, number]): [number, number] => {
  if (!v) return fallback;
  const [a, b] = v.split('-').map(Number);
  return [a, b ?? a];
};
const RATE = Number(process.env.BENCH_RATE ?? 100);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 120);
const OPERATORS = Number(process.env.BENCH_OPERATORS ?? 200);
const PATIENCE = range(process.env.BENCH_PATIENCE, [5, 30]);
const TALK = range(process.env.BENCH_TALK, [8, 15]);
const WRAPUP = Number(process.env.BENCH_WRAPUP ?? 2);
const WARMUP = Number(process.env.BENCH_WARMUP ?? 60);
const SNAPSHOTS = process.env.BENCH_HEAP_SNAPSHOTS;
const GC_EVERY = Number(process.env.BENCH_GC_EVERY ?? 0);
const ROOT = path.resolve(__dirname, '..');
const START_AT = 1;

interface Launched {
  url: string;
  child: import('node:child_process').ChildProcess;
}

const mb = (bytes: number): number => Math.round(bytes / 1024 / 1024);
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
/** Histograms record whole microseconds; print milliseconds. */
const ms = (h: RecordableHistogram, p: number): string => (h.count === 0 ? '0.00' : (h.percentile(p) / 1000).toFixed(2));

const prefixed = (prefix: string, counts: Record<string, number>): Record<string, number> => Object.fromEntries(Object.entries(counts).map(([k, v]) => [`${prefix}.${k}`, v]));

/** Least-squares slope of y over x. */
function slope(points: Array<[number, number]>): number {
  const n = points.length;
  if (n < 2) return 0;
  const mx = points.reduce((s, [x]) => s + x, 0) / n;
  const my = points.reduce((s, [, y]) => s + y, 0) / n;
  const sxy = points.reduce((s, [x, y]) => s + (x - mx) * (y - my), 0);
  const sxx = points.reduce((s, [x]) => s + (x - mx) ** 2, 0);
  return sxx === 0 ? 0 : sxy / sxx;
}

/** The caller mix: share of RATE, what they do once answered by the IVR. */
const MIX: Array<{ share: number; prefix: string; steps: Array<Record<string, unknown>>; patience: [number, number] }> = [
  { share: 0.2, prefix: '08131', steps: [{ wait: 0.6 }, { dtmf: '1' }], patience: PATIENCE }, // fire
  { share: 0.35, prefix: '08132', steps: [{ wait: 0.6 }, { dtmf: '2' }], patience: PATIENCE }, // medical
  { share: 0.2, prefix: '08133', steps: [{ wait: 0.6 }, { dtmf: '3' }], patience: PATIENCE }, // police
  { share: 0.1, prefix: '08134', steps: [{ wait: 0.6 }, { dtmf: '4' }], patience: PATIENCE }, // disaster
  { share: 0.1, prefix: '08135', steps: [{ wait: 1.5 }, { hangup: true }], patience: PATIENCE }, // silent: hangs up in the IVR
  // No key at all: the menu twice, then queued as general after about 15 s.
  { share: 0.05, prefix: '08136', steps: [], patience: [PATIENCE[0] + 15, PATIENCE[1] + 15] },
];

function wrapTimed(store: CallStore, stats: Map<string, RecordableHistogram>, walls: Map<string, RecordableHistogram>): void {
  for (const name of ['createCall', 'updateCall', 'appendEvent', 'getCall', 'findByChannel', 'saveOutcome', 'getOutcome', 'createCallback', 'listCallbacks'] as const) {
    wrapWall(store as unknown as Record<string, unknown>, name, walls, stats);
  }
}

/**
 * Time a method's calls from call to settled (`walls`: what a caller awaiting it waits) and,
 * with `sync`, the part spent on the event loop before it returned its promise.
 */
function wrapWall(target: Record<string, unknown>, name: string, walls: Map<string, RecordableHistogram>, sync?: Map<string, RecordableHistogram>): void {
  const original = (target[name] as (...a: unknown[]) => Promise<unknown>).bind(target);
  const wall = createHistogram();
  walls.set(name, wall);
  const onLoop = createHistogram();
  sync?.set(name, onLoop);
  target[name] = (...args: unknown[]) => {
    const t = performance.now();
    const p = original(...args);
    onLoop.record(Math.max(1, Math.round((performance.now() - t) * 1000)));
    const done = (): void => wall.record(Math.max(1, Math.round((performance.now() - t) * 1000)));
    p.then(done, done);
    return p;
  };
}

async function main(): Promise<void> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'siaga112-bench-calls-'));
  const launcher = (await import(path.join(ROOT, 'scripts/redis-launcher.mjs'))) as { startPrivateRedis(o: { dir: string }): Promise<Launched> };
  const redis = await launcher.startPrivateRedis({ dir });
  const operators = Array.from({ length: OPERATORS }, (_, i) => `op${i + 1}`);

  // ------------------------------------------------ the PBX, in its own process
  const scenarioPath = path.join(dir, 'bench.yaml');
  writeFileSync(
    scenarioPath,
    stringify({
      sounds: { 'siaga112/id/greeting': 0.3, 'siaga112/id/menu': 2, 'siaga112/id/queued': 0.3, 'siaga112/id/reassurance': 0.3, 'siaga112/id/invalid-choice': 0.3 },
      unknownSound: 0.3,
      endpoints: operators.map((resource) => ({ resource, registered: true, behaviour: 'answer', after: 1 })),
    }),
  );
  // Its own port (0: the system picks; read back from its first line) and its own password: other
  // processes on this machine (tests running in parallel) can neither reach it nor be reached by us.
  const password = `bench-${randomUUID()}`;
  const simOut = path.join(dir, 'sim.out');
  const simFd = openSync(simOut, 'w');
  const sim = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'src/sim/cli.ts'), '--ari-port', '0', '--ami-port', '0', '--password', password, '--scenario', scenarioPath], {
    cwd: ROOT,
    stdio: ['ignore', simFd, 'inherit'],
  });
  closeSync(simFd);
  let ariUrl = '';
  for (let i = 0; !ariUrl; i++) {
    ariUrl = /ARI (http:\/\/[0-9.:]+)\/ari/.exec(readFileSync(simOut, 'utf8'))?.[1] ?? '';
    if (i > 300 || sim.exitCode !== null) throw new Error('simulator did not start');
    if (!ariUrl) await sleep(100);
  }

  // ------------------------------------------------ siaga112, here
  const sqlitePath = path.join(dir, 'siaga112.sqlite');
  const config = configSchema.parse({
    mode: 'asterisk',
    service: { port: 0, logLevel: process.env.BENCH_LOG_LEVEL ?? 'error', instanceId: 'bench' },
    redis: { url: redis.url },
    store: { sqlitePath },
    asterisk: { ari: { url: ariUrl, user: 'siaga112', password, app: 'siaga112' } },
    // The default wrap-up timeout (120 s): operators are freed by filing the outcome.
    dispatch: { ringTimeoutSeconds: 15 },
    ivrFile: path.join(ROOT, 'config/ivr.yaml'),
  });
  const accountStore = await createAccountStore(config.store, systemClock);
  const accounts = new AccountService(accountStore, new Argon2Hasher(), systemClock);
  for (const op of operators) await accounts.create({ username: op, displayName: op, role: 'operator', password: 'bench-operator-pw-1', endpoint: `PJSIP/${op}` });
  await accountStore.close();

  const service = await startService(config, { lease: false });
  const ari = service.asterisk!.ari as AriClientConnection;
  const storeStats = new Map<string, RecordableHistogram>();
  const waits = new Map<string, RecordableHistogram>();
  wrapTimed(service.store, storeStats, waits);
  wrapWall(service.dispatch as unknown as Record<string, unknown>, 'enqueue', waits);
  for (const name of ['getVariable', 'answer', 'play', 'stopPlayback', 'createBridge', 'addToBridge', 'startBridgeMoh', 'originate']) {
    if (typeof (ari as unknown as Record<string, unknown>)[name] === 'function') wrapWall(ari as unknown as Record<string, unknown>, name, waits);
  }
  for (const op of await service.dispatch.operators.list()) {
    await service.dispatch.operators.login(op.id).catch(() => undefined);
    await service.dispatch.operators.setSoftphone(op.id, true).catch(() => undefined);
  }
  // Operators at work: ready, and after each call the outcome filed WRAPUP s later (then free again).
  const robots = new DemoOperators({ dispatch: service.dispatch, center: service.center, events: service.events, clock: systemClock, logger: service.logger, robots: operators, wrapUpSeconds: WRAPUP });
  await robots.start();

  // ------------------------------------------------ what became of the calls
  const counts = { offered: 0, answered: 0, missed: 0, abandonedIvr: 0, abandonedQueue: 0, abandonedRinging: 0, wrapUpByOutcome: 0, wrapUpByTimeout: 0 };
  service.events.subscribe((e) => {
    // Both the call centre and the dispatcher publish some steps: count the call centre's (from the record).
    if (e.type === 'call.abandoned' && e.where === 'ivr') counts.abandonedIvr += 1;
    if (e.type === 'wrapup.ended') counts[e.by === 'outcome' ? 'wrapUpByOutcome' : 'wrapUpByTimeout'] += 1;
    if (e.type === 'operator.state' && e.to === 'offered') counts.offered += 1;
    if (e.type === 'operator.state' && e.from === 'offered' && e.to === 'on_call') counts.answered += 1;
    if (e.type === 'call.missed') counts.missed += 1;
  });

  // ------------------------------------------------ measurement: event in → first command out
  const pending = new Map<string, { at: number; type: string }>();
  const byType = new Map<string, RecordableHistogram>();
  const playbackChannel = new Map<string, string>();
  const menuPlaybacks = new Set<string>();
  const latency = createHistogram();
  const loop = monitorEventLoopDelay({ resolution: 10 });
  // The histogram holds the timer's whole interval: the delay is what exceeds the 10 ms resolution.
  const loopMs = (p: number): string => Math.max(0, loop.percentile(p) / 1e6 - 10).toFixed(1);
  let stasisStarts = 0;
  let firstArrival = 0;
  let lastArrival = 0;
  let peakChannels = 0;
  const live = new Set<string>();
  ari.onEvent((e: AriEvent) => {
    const now = performance.now();
    let channelId = e.channel?.id;
    // A prompt on a bridge (the holding bridge's announcements) answers no caller's event: not measured, not kept.
    if (!channelId && e.playback) channelId = playbackChannel.get(e.playback.id) ?? (e.playback.target_uri?.startsWith('channel:') ? e.playback.target_uri.slice('channel:'.length) : undefined);
    if (e.type === 'StasisStart' && e.channel && !(e.args ?? [])[0]) {
      stasisStarts += 1;
      if (firstArrival === 0) firstArrival = now;
      lastArrival = now;
      live.add(e.channel.id);
      peakChannels = Math.max(peakChannels, live.size);
    }
    if (e.type === 'StasisEnd' && e.channel) {
      live.delete(e.channel.id);
      pending.delete(e.channel.id);
    }
    if (e.type === 'PlaybackFinished' && e.playback) playbackChannel.delete(e.playback.id);
    // Events that call for an answer from the service (inbound legs: operator legs' StasisStart waits for the bridge).
    // The end of the menu prompt is left out: it starts the wait for a key (inputTimeoutSeconds), not a command.
    const menuEnded = e.type === 'PlaybackFinished' && !!e.playback && menuPlaybacks.delete(e.playback.id);
    if (channelId && ((e.type === 'StasisStart' && !(e.args ?? [])[0]) || e.type === 'ChannelDtmfReceived' || (e.type === 'PlaybackFinished' && !menuEnded))) pending.set(channelId, { at: now, type: e.type });
  });
  const commandFor = (channelIds: string[]): void => {
    const now = performance.now();
    for (const id of channelIds) {
      const p = pending.get(id);
      if (p === undefined) continue;
      pending.delete(id);
      const us = Math.max(1, Math.round((now - p.at) * 1000));
      latency.record(us);
      let h = byType.get(p.type);
      if (!h) byType.set(p.type, (h = createHistogram()));
      h.record(us);
    }
  };
  const wrap = <K extends 'answer' | 'play' | 'hangup' | 'addToBridge' | 'startMoh' | 'stopPlayback' | 'continueInDialplan'>(name: K, channels: (...args: Parameters<AriClientConnection[K]>) => string[]): void => {
    const original = (ari[name] as (...a: unknown[]) => Promise<unknown>).bind(ari);
    (ari as unknown as Record<string, unknown>)[name] = (...args: Parameters<AriClientConnection[K]>) => {
      commandFor(channels(...args));
      return original(...args);
    };
  };
  wrap('answer', (id) => [id]);
  wrap('hangup', (id) => [id]);
  wrap('startMoh', (id) => [id]);
  wrap('continueInDialplan', (id) => [id]);
  wrap('addToBridge', (_b, ids) => ids);
  wrap('stopPlayback', (pb) => [playbackChannel.get(pb) ?? '']);
  const originalPlay = ari.play.bind(ari);
  ari.play = (channelId, playbackId, media, lang) => {
    playbackChannel.set(playbackId, channelId);
    if ([media].flat().some((m) => /\/menu$/.test(m))) menuPlaybacks.add(playbackId);
    commandFor([channelId]);
    return originalPlay(channelId, playbackId, media, lang);
  };

  // ------------------------------------------------ run: the callers start once the service is up
  const callers = MIX.map((m, i) => ({
    from: `${m.prefix}{n}`,
    at: START_AT + i * 0.001,
    every: 1 / (RATE * m.share),
    count: Math.round(RATE * m.share * SECONDS),
    steps: m.steps,
    patience: m.patience,
    talkTime: TALK,
  }));
  for (let i = 0; !service.asterisk!.status().ready; i++) {
    if (i > 300) throw new Error('the service did not get ready');
    await sleep(100);
  }
  const posted = await fetch(`${ariUrl}/sim/scenario`, {
    method: 'POST',
    headers: { authorization: `Basic ${Buffer.from(`siaga112:${password}`).toString('base64')}`, 'content-type': 'application/json' },
    body: JSON.stringify({ callers }),
  });
  if (!posted.ok) throw new Error(`the simulator refused the callers: ${posted.status} ${await posted.text()}`);
  const samples: Array<{ t: number; rss: number; heap: number; cpu: number }> = [];
  const started = performance.now();
  const drain = PATIENCE[1] + 15 + TALK[1] + WRAPUP + 5;
  const total = START_AT + SECONDS + drain;
  const arrivalsEnd = START_AT + SECONDS;
  console.log(
    `bench:calls — ${RATE} calls/s for ${SECONDS} s; patience ${PATIENCE.join('-')} s, talk ${TALK.join('-')} s, wrap-up ${WRAPUP} s, ${OPERATORS} operators; simulator in its own process`,
  );
  loop.enable();
  // With BENCH_GC_EVERY (node --expose-gc): a full GC at each mark, then the heap that is really kept.
  const gc = (globalThis as { gc?: () => void }).gc;
  if (GC_EVERY > 0 && !gc) throw new Error('BENCH_GC_EVERY needs node --expose-gc (see the README)');
  const retained: Array<[number, number]> = [];
  let nextGc = GC_EVERY;
  const printEvery = SECONDS > 600 ? 30 : 5;
  let snapshotted = 0;
  let quiet = 0;
  for (let i = 1; (performance.now() - started) / 1000 < total && quiet < 2; i++) {
    await sleep(Math.max(0, started + i * 2000 - performance.now()));
    const t = (performance.now() - started) / 1000;
    const m = process.memoryUsage();
    const c = process.cpuUsage();
    samples.push({ t, rss: m.rss, heap: m.heapUsed, cpu: (c.user + c.system) / 1e6 });
    if (gc && GC_EVERY > 0 && t >= nextGc) {
      nextGc += GC_EVERY;
      gc();
      retained.push([t, process.memoryUsage().heapUsed]);
    }
    if (SNAPSHOTS && ((snapshotted === 0 && t >= WARMUP) || (snapshotted === 1 && t >= arrivalsEnd - 2))) {
      snapshotted += 1;
      console.log(`heap snapshot: ${v8.writeHeapSnapshot(path.join(SNAPSHOTS, `bench-calls-${snapshotted}.heapsnapshot`))}`);
    }
    // Done early once the arrivals are over and every call has ended.
    quiet = t > arrivalsEnd && live.size === 0 ? quiet + 1 : 0;
    if (i % printEvery === 0) {
      const kept = retained.length ? ` heap-after-gc=${mb(retained[retained.length - 1][1])}MB` : '';
      console.log(
        `t=${Math.round(t)}s calls=${stasisStarts} up=${live.size} answered=${counts.answered} rss=${mb(m.rss)}MB heap=${mb(m.heapUsed)}MB${kept} ext=${mb(m.external)}MB event p50=${ms(latency, 50)}ms p99=${ms(latency, 99)}ms loop-delay p99=${loopMs(99)}ms`,
      );
    }
  }
  loop.disable();

  const all = await service.store.findByTimeRange({ from: 0, to: Date.now() + 1 });
  const ended = all.filter((c) => c.state === 'ended');
  const byReason = ended.reduce<Record<string, number>>((acc, c) => ((acc[c.endReason ?? '?'] = (acc[c.endReason ?? '?'] ?? 0) + 1), acc), {});
  // Memory over the steady part: after warm-up, to the end of the arrivals.
  const steady = samples.filter((s) => s.t >= WARMUP && s.t <= arrivalsEnd);
  const rssStart = mb(steady[0]?.rss ?? samples[0].rss);
  const rssEnd = mb(steady[steady.length - 1]?.rss ?? samples[samples.length - 1].rss);
  // The heap saws up and down with each GC: fit the floor of each 10 s window (what survives a GC).
  const floors = (pick: (s: (typeof samples)[number]) => number): Array<[number, number]> => {
    const windows = new Map<number, Array<(typeof samples)[number]>>();
    for (const s of steady) windows.set(Math.floor((s.t - WARMUP) / 10), [...(windows.get(Math.floor((s.t - WARMUP) / 10)) ?? []), s]);
    return [...windows.values()].map((w) => {
      const low = w.reduce((a, b) => (pick(b) < pick(a) ? b : a));
      return [low.t / 60, pick(low) / 1048576];
    });
  };
  const rssSlope = slope(floors((s) => s.rss));
  const heapSlope = slope(floors((s) => s.heap));
  const cpuShare = steady.length > 1 ? (steady[steady.length - 1].cpu - steady[0].cpu) / (steady[steady.length - 1].t - steady[0].t) : 0;
  const arrivalSeconds = (lastArrival - firstArrival) / 1000;
  const callsPerS = arrivalSeconds > 0 ? (stasisStarts - 1) / arrivalSeconds : 0;
  const leftOver = { ...service.asterisk!.telephony.resources(), ...prefixed('callCenter', service.center.resources()), ...prefixed('dispatch', service.dispatch.resources()) };

  console.log(`calls: ${stasisStarts} arrived, ${all.length} records, ${ended.length} ended: ${JSON.stringify(byReason)}`);
  console.log(
    `operators: ${counts.offered} offers, ${counts.answered} answered, ${counts.missed} missed; wrap-ups ended by outcome ${counts.wrapUpByOutcome}, by timeout ${counts.wrapUpByTimeout}`,
  );
  console.log(`event → command (${latency.count} events): p50 ${ms(latency, 50)} ms, p99 ${ms(latency, 99)} ms, max ${(latency.max / 1000).toFixed(1)} ms`);
  console.log(`  by event: ${[...byType].map(([t, h]) => `${t} ×${h.count} p50 ${ms(h, 50)} p99 ${ms(h, 99)} ms`).join('; ')}`);
  console.log(`event loop delay (beyond the 10 ms sampling timer): p50 ${loopMs(50)} ms, p99 ${loopMs(99)} ms, max ${Math.max(0, loop.max / 1e6 - 10).toFixed(1)} ms`);
  console.log(`call store (time on the event loop per call): ${[...storeStats].filter(([, h]) => h.count > 0).map(([n, h]) => `${n} ×${h.count} p50 ${ms(h, 50)} p99 ${ms(h, 99)} ms`).join('; ')}`);
  console.log(`awaited (call → settled: writes to their commit, the queue, ARI requests): ${[...waits].filter(([, h]) => h.count > 0).map(([n, h]) => `${n} ×${h.count} p50 ${ms(h, 50)} p99 ${ms(h, 99)} ms`).join('; ')}`);
  const keptSteady = retained.filter(([t]) => t >= WARMUP && t <= arrivalsEnd);
  if (keptSteady.length >= 2) {
    const perMin = slope(keptSteady.map(([t, b]) => [t / 60, b / 1024 / 1024]));
    console.log(
      `heap after a full GC every ${GC_EVERY} s, from ${WARMUP} s to the end of arrivals (${keptSteady.length} marks): first ${mb(keptSteady[0][1])} MB, last ${mb(keptSteady[keptSteady.length - 1][1])} MB, min ${mb(Math.min(...keptSteady.map(([, b]) => b)))} MB, max ${mb(Math.max(...keptSteady.map(([, b]) => b)))} MB, slope ${perMin.toFixed(3)} MB/min`,
    );
  }
  console.log(`memory after ${WARMUP} s warm-up to the end of arrivals: rss ${rssStart} → ${rssEnd} MB, slope (least squares over the lowest sample of each 10 s) rss ${rssSlope.toFixed(2)} MB/min, heapUsed ${heapSlope.toFixed(2)} MB/min`);
  console.log(`service process CPU over the same part: ${Math.round(cpuShare * 100)}% of one core (main thread and helpers)`);
  console.log(`left over in the service after the run (Asterisk adapter, call centre, dispatch): ${JSON.stringify(leftOver)}`);
  // The bench's own bookkeeping must drain too, or its growth reads as the service's.
  console.log(`left over in the bench's own maps: ${JSON.stringify({ pending: pending.size, playbackChannel: playbackChannel.size, menuPlaybacks: menuPlaybacks.size, live: live.size })}`);
  console.log(`RESULT event_p99_ms=${ms(latency, 99)} calls_per_s=${callsPerS.toFixed(1)} concurrent=${peakChannels} rss_mb_start=${rssStart} rss_mb_end=${rssEnd}`);

  robots.stop();
  await service.stop();
  sim.kill('SIGTERM');
  redis.child.kill('SIGTERM');
  await sleep(300);
  rmSync(dir, { recursive: true, force: true });
  process.exit(0);
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? (err.stack ?? err.message) : String(err));
  process.exit(1);
});
