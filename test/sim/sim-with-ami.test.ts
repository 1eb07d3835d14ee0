import { expect } from 'chai';
import { startSimulator, type Simulator } from '../../src/sim';
import { amiServerFactory } from '../../src/sim/ami/sim-hook';

type AmiMessage = Record<string, string | string[] | undefined>;
interface Manager {
  on(event: 'managerevent', fn: (e: AmiMessage) => void): void;
  once(event: string, fn: (e: AmiMessage) => void): void;
  removeListener(event: string, fn: (e: AmiMessage) => void): void;
  action(action: Record<string, string>, cb: (err: unknown, res: AmiMessage) => void): void;
  disconnect(): void;
}
// asterisk-manager ships no types; the part this test uses is described above.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const AsteriskManager = require('asterisk-manager') as (port: number, host: string, user: string, pass: string, events: boolean) => Manager;

describe('simulator with AMI (the same PBX model behind ARI and AMI)', () => {
  let sim: Simulator;
  let ami: Manager;

  before(async () => {
    sim = await startSimulator({ ariPort: 0, amiPort: 0, amiServerFactory, scenario: { endpoints: [{ resource: 'op1', registered: false }] } });
    expect(sim.amiPort).to.be.a('number');
    ami = AsteriskManager(sim.amiPort!, '127.0.0.1', sim.username, sim.password, true);
    await new Promise<void>((resolve, reject) => {
      ami.once('managerevent', () => resolve());
      ami.once('error', reject);
    });
  });

  after(async () => {
    ami.disconnect();
    await sim.stop();
  });

  it('reports an operator softphone registering (ContactStatus) when the model registers it', async () => {
    const seen = new Promise<AmiMessage>((resolve) => {
      const onEvent = (e: AmiMessage) => {
        if (e.event === 'ContactStatus' && /op1/.test(String(e.aor ?? e.endpointname ?? ''))) {
          ami.removeListener('managerevent', onEvent);
          resolve(e);
        }
      };
      ami.on('managerevent', onEvent);
    });
    sim.control.registerEndpoint('op1');
    const event = await seen;
    expect(String(event.contactstatus)).to.match(/Created|Reachable|NonQualified/);
  });

  it('answers dialplan show with the project dialplan (the 112 route into Stasis)', async () => {
    const res = await new Promise<AmiMessage>((resolve, reject) => {
      ami.action({ action: 'Command', command: 'dialplan show siaga112-inbound' }, (err, r) => (err ? reject(err) : resolve(r)));
    });
    const output = ([] as string[]).concat(res.output ?? []).join('\n');
    expect(output).to.contain('Stasis(siaga112,inbound,${EXTEN})');
  });
});
