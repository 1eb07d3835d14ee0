/**
 * A siaga112 process for the resilience tests: the real composition root
 * (startService) in asterisk mode, configured by the test through
 * SIAGA112_CHILD_CONFIG (a config object) and SIAGA112_CHILD_OPTIONS
 * (ServiceOptions: lease timings). Prints `READY <url>` when started; SIGTERM
 * stops it as `npm start` does.
 */
import { startService } from '../../../src/app/service';
import { configSchema } from '../../../src/config/schema';

async function main(): Promise<void> {
  const config = configSchema.parse(JSON.parse(process.env.SIAGA112_CHILD_CONFIG ?? '{}'));
  const options = JSON.parse(process.env.SIAGA112_CHILD_OPTIONS ?? '{}') as Parameters<typeof startService>[1];
  const service = await startService(config, options);
  process.stdout.write(`READY ${service.url}\n`);
  let stopping = false;
  process.on('SIGTERM', () => {
    if (stopping) return;
    stopping = true;
    service.stop().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  });
}

main().catch((err: unknown) => {
  process.stderr.write(`child failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
