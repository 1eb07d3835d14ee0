/**
 * `npm run bench:calls`: load on the whole Asterisk path. The PBX simulator
 * runs in a separate process (so its own work does not count as the
 * service's); siaga112 runs here (startService, asterisk mode) on a private
 * redis-server and a temp SQLite. Callers arrive at RATE per second for
 * SECONDS, go through the IVR (digit), wait in the queue, are answered by
 * OPERATORS softphones and hang up after HOLD seconds, so about RATE×HOLD
 * calls are up at once.
 *
 * Prints the time the service adds per event (ARI event in → the first
 * command it causes out) p50/p99, new calls per second, memory, and one line
 * `RESULT event_p99_ms=… calls_per_s=… concurrent=… rss_mb_start=… rss_mb_end=…`.
 *
 * Env: BENCH_RATE (100), BENCH_SECONDS (60), BENCH_HOLD (10), BENCH_OPERATORS (50).
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { stringify } from 'yaml';
import { startService } from '../src/app/service';
import { AccountService } from '../src/accounts/account-service';
import { Argon2Hasher } from '../src/accounts/password';
import { createAccountStore } from '../src/accounts/create-account-store';
import { configSchema } from '../src/config/schema';
import { systemClock } from '../src/core/clock';
import type { AriClientConnection } from '../src/asterisk/ari/ari-client-connection';
import type { AriEvent } from '../src/asterisk/ari/ari-types';

const RATE = Number(process.env.BENCH_RATE ?? 100);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 60);
const HOLD = Number(process.env.BENCH_HOLD ?? 10);
const OPERATORS = Number(process.env.BENCH_OPERATORS ?? 50);
const ROOT = path.resolve(__dirname, '..');

interface Launched {
  url: string;
  child: import('node:child_process').ChildProcess;
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}
const mb = (bytes: number): number => Math.round(bytes / 1024 / 1024);
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function freePort(): Promise<number> {
  const net = await import('node:net');
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const port = (s.address() as import('node:net').AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

async function main(): Promise<void> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'siaga112-bench-calls-'));
  const launcher = (await import(path.join(ROOT, 'scripts/redis-launcher.mjs'))) as { startPrivateRedis(o: { dir: string }): Promise<Launched> };
  const redis = await launcher.startPrivateRedis({ dir });
  const operators = Array.from({ length: OPERATORS }, (_, i) => `op${i + 1}`);

  // ------------------------------------------------ the PBX, in its own process
  const ariPort = await freePort();
  const scenarioPath = path.join(dir, 'bench.yaml');
  writeFileSync(
    scenarioPath,
    stringify({
      sounds: { 'siaga112/id/greeting': 0.3, 'siaga112/id/menu': 2, 'siaga112/id/queued': 0.3, 'siaga112/id/reassurance': 0.3, 'siaga112/id/invalid-choice': 0.3 },
      unknownSound: 0.3,
      endpoints: operators.map((resource) => ({ resource, registered: true, behaviour: 'answer', after: 1 })),
      callers: [{ from: '0813{n}', at: 3, every: 1 / RATE, count: Math.round(RATE * SECONDS), steps: [{ wait: 0.6 }, { dtmf: '1' }, { wait: HOLD }, { hangup: true }] }],
    }),
  );
  const sim = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'src/sim/cli.ts'), '--ari-port', String(ariPort), '--ami-port', '0', '--password', 'bench', '--scenario', scenarioPath], {
    cwd: ROOT,
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const ariUrl = `http://127.0.0.1:${ariPort}`;
  for (let i = 0; ; i++) {
    try {
      if ((await fetch(`${ariUrl}/ari/asterisk/info`, { headers: { authorization: `Basic ${Buffer.from('siaga112:bench').toString('base64')}` } })).ok) break;
    } catch {
      // not up yet
    }
    if (i > 200) throw new Error('simulator did not start');
    await sleep(100);
  }

  // ------------------------------------------------ siaga112, here
  const sqlitePath = path.join(dir, 'siaga112.sqlite');
  const config = configSchema.parse({
    mode: 'asterisk',
    service: { port: 0, logLevel: 'error', instanceId: 'bench' },
    redis: { url: redis.url },
    store: { sqlitePath },
    asterisk: { ari: { url: ariUrl, user: 'siaga112', password: 'bench', app: 'siaga112' } },
    dispatch: { ringTimeoutSeconds: 15, wrapUpTimeoutSeconds: 1 },
    ivrFile: path.join(ROOT, 'config/ivr.yaml'),
  });
  const accountStore = await createAccountStore(config.store, systemClock);
  const accounts = new AccountService(accountStore, new Argon2Hasher(), systemClock);
  for (const op of operators) await accounts.create({ username: op, displayName: op, role: 'operator', password: 'bench-operator-pw-1', endpoint: `PJSIP/${op}` });
  await accountStore.close();

  const service = await startService(config, { lease: false });
  const ari = service.asterisk!.ari as AriClientConnection;
  for (const op of await service.dispatch.operators.list()) {
    await service.dispatch.operators.login(op.id).catch(() => undefined);
    await service.dispatch.operators.setSoftphone(op.id, true).catch(() => undefined);
    await service.dispatch.operators.setReady(op.id).catch(() => undefined);
  }
  // Operators go ready again after each wrap-up (robots).
  service.events.subscribe((e) => {
    if (e.type === 'wrapup.ended') void service.dispatch.operators.setReady(e.operatorId).catch(() => undefined);
  });

  // ------------------------------------------------ measurement: event in → first command out
  const pending = new Map<string, number>();
  const playbackChannel = new Map<string, string>();
  const latencies: number[] = [];
  let stasisStarts = 0;
  let peakChannels = 0;
  const live = new Set<string>();
  ari.onEvent((e: AriEvent) => {
    const now = performance.now();
    let channelId = e.channel?.id;
    if (!channelId && e.playback) channelId = playbackChannel.get(e.playback.id) ?? e.playback.target_uri?.replace(/^channel:/, '');
    if (e.type === 'StasisStart' && e.channel && !(e.args ?? [])[0]) {
      stasisStarts += 1;
      live.add(e.channel.id);
      peakChannels = Math.max(peakChannels, live.size);
    }
    if (e.type === 'StasisEnd' && e.channel) live.delete(e.channel.id);
    // Events that call for an answer from the service.
    if (channelId && (e.type === 'StasisStart' || e.type === 'ChannelDtmfReceived' || e.type === 'PlaybackFinished')) pending.set(channelId, now);
  });
  const commandFor = (channelIds: string[]): void => {
    const now = performance.now();
    for (const id of channelIds) {
      const at = pending.get(id);
      if (at === undefined) continue;
      pending.delete(id);
      latencies.push(now - at);
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
    commandFor([channelId]);
    return originalPlay(channelId, playbackId, media, lang);
  };

  // ------------------------------------------------ run
  const rss: number[] = [];
  const started = performance.now();
  const total = 3 + SECONDS + HOLD + 5;
  console.log(`bench:calls — ${RATE} calls/s for ${SECONDS} s, ${HOLD} s per call, ${OPERATORS} operators; simulator in its own process`);
  for (let t = 0; t < total; t += 5) {
    await sleep(5000);
    const m = process.memoryUsage();
    rss.push(m.rss);
    const lat = [...latencies].sort((a, b) => a - b);
    console.log(
      `t=${Math.round((performance.now() - started) / 1000)}s calls=${stasisStarts} up=${live.size} rss=${mb(m.rss)}MB heap=${mb(m.heapUsed)}MB p50=${percentile(lat, 50).toFixed(2)}ms p99=${percentile(lat, 99).toFixed(2)}ms`,
    );
  }
  const lat = latencies.sort((a, b) => a - b);
  const all = await service.store.findByTimeRange({ from: 0, to: Date.now() + 1 });
  const ended = all.filter((c) => c.state === 'ended');
  const byReason = ended.reduce<Record<string, number>>((acc, c) => ((acc[c.endReason ?? '?'] = (acc[c.endReason ?? '?'] ?? 0) + 1), acc), {});
  // Memory over the steady part: after the ramp-up, to the end of the arrivals.
  const steady = rss.slice(Math.min(rss.length - 1, Math.ceil((3 + HOLD) / 5)), Math.ceil((3 + SECONDS) / 5));
  const rssStart = mb(steady[0] ?? rss[0]);
  const rssEnd = mb(steady[steady.length - 1] ?? rss[rss.length - 1]);
  const callsPerS = stasisStarts / SECONDS;
  console.log(`records: ${all.length} (${ended.length} ended: ${JSON.stringify(byReason)}), events measured: ${lat.length}`);
  console.log(`event → command: p50 ${percentile(lat, 50).toFixed(2)} ms, p99 ${percentile(lat, 99).toFixed(2)} ms, max ${(lat[lat.length - 1] ?? 0).toFixed(1)} ms`);
  console.log(`RESULT event_p99_ms=${percentile(lat, 99).toFixed(2)} calls_per_s=${callsPerS.toFixed(1)} concurrent=${peakChannels} rss_mb_start=${rssStart} rss_mb_end=${rssEnd}`);

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
