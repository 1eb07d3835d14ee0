// `npm start`: use the Redis at REDIS_URL when one answers; otherwise start a
// private redis-server with its data under data/redis, then run the service.
import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { redisReachable, startPrivateRedis } from './redis-launcher.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const [command, ...commandArgs] = process.argv.slice(2);
const env = { ...process.env };
let redis;

const wanted = env.REDIS_URL ?? 'redis://127.0.0.1:6379';
if (await redisReachable(wanted)) {
  env.REDIS_URL = wanted;
} else if (env.REDIS_URL) {
  console.error(`[siaga112] REDIS_URL=${env.REDIS_URL} does not answer. Start that Redis, or unset REDIS_URL to let siaga112 start its own.`);
  process.exit(1);
} else {
  try {
    redis = await startPrivateRedis({ dir: path.join(root, 'data', 'redis'), port: 6390 });
  } catch {
    redis = await startPrivateRedis({ dir: path.join(root, 'data', 'redis') });
  }
  env.REDIS_URL = redis.url;
  console.log(`[siaga112] no Redis was reachable; started a private redis-server at ${redis.url} (data in data/redis)`);
}

const child = spawn(path.join(root, 'node_modules', '.bin', command), commandArgs, { cwd: root, stdio: 'inherit', env });
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => child.kill(signal));
child.on('exit', (code, signal) => {
  redis?.child.kill('SIGTERM');
  process.exit(code ?? (signal ? 0 : 1));
});
