import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startService, type Service } from '../../src/app/service';
import { loadConfig } from '../../src/config/load';
import { freshRedis } from '../support/redis';

export const DEMO_PASSWORD = 'demo112-siaga';

/**
 * The whole service as `npm start` runs it (demo mode: the PBX simulator,
 * ARI + AMI over loopback, the real dispatcher on the test Redis, SQLite in
 * a temp dir), on free ports, with no background callers: each test places
 * its own calls.
 */
export async function startDemoService(opts: { robots?: string[] } = {}): Promise<{ service: Service; stop: () => Promise<void> }> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'siaga112-e2e-'));
  const redis = await freshRedis();
  redis.disconnect();
  const config = loadConfig({
    env: { PORT: '0', REDIS_URL: process.env.REDIS_URL, SIAGA112_SQLITE_PATH: path.join(dir, 'siaga112.sqlite'), LOG_LEVEL: 'silent', SIAGA112_INSTANCE_ID: 'e2e' },
    baseDir: path.resolve(__dirname, '../..'),
  });
  const service = await startService(config, { simulatorPorts: { ari: 0, ami: 0 }, demoScenario: false, demoRobots: opts.robots ?? [] });
  return {
    service,
    stop: async () => {
      await service.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export async function waitUntil<T>(what: string, probe: () => T | undefined | false | Promise<T | undefined | false>, timeoutMs = 15000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
