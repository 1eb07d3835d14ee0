import path from 'node:path';
import { expect } from 'chai';
import sinon from 'sinon';
import { createAsteriskBackend } from '../../src/asterisk';
import type { CallCenter } from '../../src/app/call-center';
import { configSchema } from '../../src/config/schema';
import { systemClock } from '../../src/core/clock';
import { ConfigError } from '../../src/core/errors';
import { silentLogger } from '../../src/core/logger';
import { loadIvrMenu } from '../../src/domain/ivr/menu';
import { startSimulator } from '../../src/sim';
import { waitFor } from './asterisk-harness';

const menu = loadIvrMenu(path.resolve(__dirname, '../../config/ivr.yaml'));
const center = {} as CallCenter;

describe('createAsteriskBackend', function () {
  this.timeout(10000);

  it('refuses to start without the ARI URL, user and password, and AMI host without credentials', () => {
    const base = { callCenter: center, menu, clock: systemClock, logger: silentLogger(), maskCallerNumbers: true, operators: [] };
    expect(() => createAsteriskBackend({ ...base, config: configSchema.shape.asterisk.parse({}) })).to.throw(ConfigError, /ASTERISK_ARI_URL/);
    const ari = { url: 'http://127.0.0.1:8088', user: 'u', password: 'p' };
    expect(() => createAsteriskBackend({ ...base, config: configSchema.shape.asterisk.parse({ ari, ami: { host: '127.0.0.1' } }) })).to.throw(ConfigError, /ASTERISK_AMI_USER/);
    const ok = createAsteriskBackend({ ...base, config: configSchema.shape.asterisk.parse({ ari }) });
    expect(ok.status()).to.deep.equal({ ari: false, ami: 'not_configured', ready: false });
  });

  it('connects to the PBX and maps softphone events to configured operator ids', async () => {
    const sim = await startSimulator({ ariPort: 0, username: 'u', password: 'p' });
    const onSoftphone = sinon.spy();
    const backend = createAsteriskBackend({
      config: configSchema.shape.asterisk.parse({ ari: { url: sim.ariUrl, user: 'u', password: 'p' } }),
      callCenter: center,
      menu,
      clock: systemClock,
      logger: silentLogger(),
      maskCallerNumbers: true,
      operators: [{ id: 'alice', displayName: 'Alice', endpoint: 'PJSIP/op7' }],
      onSoftphone,
    });
    try {
      sim.control.addEndpoint('op7', { registered: true });
      sim.control.addEndpoint('stranger', { registered: true });
      await backend.start();
      expect(backend.status().ari).to.equal(true);
      sim.control.unregisterEndpoint('stranger');
      sim.control.unregisterEndpoint('op7');
      // Registered at connection time (read from GET /endpoints), then the unregister event.
      await waitFor('softphone event', () => onSoftphone.calledWith('alice', false));
      expect(onSoftphone.args).to.deep.equal([
        ['alice', true],
        ['alice', false],
      ]);
    } finally {
      await backend.stop();
      await sim.stop();
    }
  });
});
