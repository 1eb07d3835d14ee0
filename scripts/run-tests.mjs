// `npm test`: type-check, start a private Redis on a free port, run every
// mocha test against it, stop Redis. Extra arguments are passed to mocha
// (e.g. `npm test -- test/domain`).
import { spawnSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startPrivateRedis } from './redis-launcher.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const bin = (name) => path.join(root, 'node_modules', '.bin', name);
const args = process.argv.slice(2);
// Without file arguments, run every test file.
if (!args.some((a) => !a.startsWith('-'))) args.push('test/**/*.test.ts');

if (process.env.SIAGA112_SKIP_TYPECHECK !== '1') {
  console.log('[test] type-checking (tsc --noEmit) ...');
  const tsc = spawnSync(bin('tsc'), ['--noEmit', '-p', 'tsconfig.json'], { cwd: root, stdio: 'inherit' });
  if (tsc.status !== 0) {
    console.error('[test] type errors: fix them first.');
    process.exit(1);
  }
}

const redisDir = mkdtempSync(path.join(os.tmpdir(), 'siaga112-test-redis-'));
let redis;
try {
  redis = await startPrivateRedis({ dir: redisDir });
  console.log(`[test] private redis-server at ${redis.url}`);
} catch (err) {
  console.error(`[test] ${err.message}`);
  process.exit(1);
}

const mocha = spawn(bin('mocha'), args, {
  cwd: root,
  stdio: 'inherit',
  env: { ...process.env, REDIS_URL: redis.url, SIAGA112_TEST_REDIS_URL: redis.url },
});
const stop = () => {
  redis.child.kill('SIGTERM');
  rmSync(redisDir, { recursive: true, force: true });
};
process.on('SIGINT', () => mocha.kill('SIGINT'));
mocha.on('exit', (code, signal) => {
  stop();
  process.exit(code ?? (signal ? 1 : 0));
});
