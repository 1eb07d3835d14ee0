// `npm run sim`: the PBX simulator on Asterisk's default loopback ports.
// Flags: --host, --ari-port, --ami-port, --user, --password, --app,
//        --scenario <file.yaml> | --no-scenario, --time-scale <n>
import path from 'node:path';
import { parseArgs } from 'node:util';
import { startSimulator, type AmiServerContext, type AmiServerHandle } from './index';

type AmiFactory = (ctx: AmiServerContext) => Promise<AmiServerHandle>;

/**
 * The AMI server lives in src/sim/ami; its module `sim-hook` exports
 * `amiServerFactory` (an AmiFactory). Loaded by name so the ARI part runs without it.
 */
async function amiFactory(): Promise<AmiFactory | undefined> {
  const hook = './ami/sim-hook';
  try {
    const mod = (await import(hook)) as { amiServerFactory?: AmiFactory };
    return mod.amiServerFactory;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'MODULE_NOT_FOUND' && (err as NodeJS.ErrnoException).code !== 'ERR_MODULE_NOT_FOUND') throw err;
    return undefined;
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      host: { type: 'string', default: '127.0.0.1' },
      'ari-port': { type: 'string', default: '8088' },
      'ami-port': { type: 'string', default: '5038' },
      user: { type: 'string', default: 'siaga112' },
      password: { type: 'string', default: 'demo' },
      app: { type: 'string' },
      scenario: { type: 'string', default: path.join('config', 'sim', 'demo.yaml') },
      'no-scenario': { type: 'boolean', default: false },
      'time-scale': { type: 'string', default: '1' },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    console.log('npm run sim -- [--host 127.0.0.1] [--ari-port 8088] [--ami-port 5038] [--user siaga112] [--password demo] [--app siaga112] [--scenario config/sim/demo.yaml | --no-scenario] [--time-scale 1]');
    return;
  }
  const sim = await startSimulator({
    host: values.host,
    ariPort: Number(values['ari-port']),
    amiPort: Number(values['ami-port']),
    amiServerFactory: await amiFactory(),
    username: values.user,
    password: values.password,
    stasisApp: values.app,
    scenario: values['no-scenario'] ? undefined : values.scenario,
    timeScale: Number(values['time-scale']),
  });
  console.log(`siaga112 PBX simulator: ARI ${sim.ariUrl}/ari (user ${sim.username})${sim.amiPort !== undefined ? `, AMI ${values.host}:${sim.amiPort}` : ', AMI not started'}`);
  sim.pbx.onAny((e) => {
    if (e.kind === 'stasis-start' || e.kind === 'channel-destroyed' || e.kind === 'dtmf' || e.kind === 'endpoint-state') {
      const what = 'channel' in e ? e.channel.name : 'endpoint' in e ? `${e.endpoint.technology}/${e.endpoint.resource} ${e.endpoint.state}` : '';
      console.log(`${new Date(e.at).toISOString()} ${e.kind} ${what}${e.kind === 'dtmf' ? ` ${e.digit}` : ''}`);
    }
  });
  const shutdown = (): void => {
    void sim.stop().then(() => process.exit(0));
  };
  process.on('SIGINT', shutdown);
  process.on('SIGTERM', shutdown);
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
