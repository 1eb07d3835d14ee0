import { loadConfig } from './config/load';
import { startService } from './app/service';
import { ConfigError, errorMessage } from './core/errors';

/** `npm start`: load the configuration, start siaga112, stop cleanly on SIGINT/SIGTERM. */
async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(`siaga112 cannot start: ${err.message}`);
      process.exit(2);
    }
    throw err;
  }
  const service = await startService(config);
  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    service.logger.info('stopping', { signal });
    service.stop().then(
      () => process.exit(0),
      (err: unknown) => {
        console.error(`siaga112 did not stop cleanly: ${errorMessage(err)}`);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', () => shutdown('SIGINT'));
  process.on('SIGTERM', () => shutdown('SIGTERM'));
}

main().catch((err: unknown) => {
  console.error(`siaga112 failed to start: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
  process.exit(1);
});
