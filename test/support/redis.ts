import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { ChildProcess } from 'node:child_process';
import { Redis } from 'ioredis';

interface Launched {
  url: string;
  port: number;
  child: ChildProcess;
}
interface Launcher {
  startPrivateRedis(opts: { dir: string; port?: number; appendonly?: boolean }): Promise<Launched>;
}

// The launcher is plain JavaScript shared with the npm scripts.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const launcherPath = path.resolve(__dirname, '../../scripts/redis-launcher.mjs');

async function launcher(): Promise<Launcher> {
  return (await import(launcherPath)) as Launcher;
}

/** The Redis that `npm test` started for this run. */
export function testRedisUrl(): string {
  const url = process.env.SIAGA112_TEST_REDIS_URL ?? process.env.REDIS_URL;
  if (!url) throw new Error('No test Redis: run the tests with `npm test`, which starts one.');
  return url;
}

/** A fresh connection to the shared test Redis, with its database emptied. */
export async function freshRedis(db = 0): Promise<Redis> {
  const client = new Redis(testRedisUrl(), { db, maxRetriesPerRequest: 1, lazyConnect: false });
  await client.flushdb();
  return client;
}

/**
 * A Redis server of the test's own, which it may stop and restart to test
 * faults. Data survives a restart when `appendonly` is on (the default, as
 * the README requires for production).
 */
export class PrivateRedis {
  private launched?: Launched;
  readonly dir = mkdtempSync(path.join(os.tmpdir(), 'siaga112-redis-'));
  port?: number;

  constructor(private readonly options: { appendonly?: boolean } = {}) {}

  get url(): string {
    if (this.port === undefined) throw new Error('PrivateRedis not started');
    return `redis://127.0.0.1:${this.port}`;
  }

  async start(): Promise<this> {
    const l = await launcher();
    this.launched = await l.startPrivateRedis({ dir: this.dir, port: this.port, appendonly: this.options.appendonly ?? true });
    this.port = this.launched.port;
    return this;
  }

  /** Stop the server; `hard` kills it without letting it write (SIGKILL). */
  async stop(hard = false): Promise<void> {
    const child = this.launched?.child;
    if (!child || child.exitCode !== null) return;
    await new Promise<void>((resolve) => {
      child.once('exit', () => resolve());
      child.kill(hard ? 'SIGKILL' : 'SIGTERM');
    });
    this.launched = undefined;
  }

  async restart(hard = false): Promise<void> {
    await this.stop(hard);
    await this.start();
  }

  async destroy(): Promise<void> {
    await this.stop(true);
    rmSync(this.dir, { recursive: true, force: true });
  }
}
