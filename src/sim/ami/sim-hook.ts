import path from 'node:path';
import type { AmiServerContext, AmiServerHandle } from '../index';
import { attachAmiToPbx } from './attach';
import { startAmiServer } from './server';

/** The project's dialplans, so `dialplan show` on the simulator shows what an admin would deploy. */
const PROJECT_DIALPLANS = path.resolve(__dirname, '../../../dialplans');

/**
 * Starts the AMI server on the simulator's PBX model: its events become AMI
 * events, and `Originate Local/...` places calls in the model.
 */
export async function amiServerFactory(ctx: AmiServerContext): Promise<AmiServerHandle> {
  const ami = await startAmiServer({
    port: ctx.port,
    host: ctx.host,
    users: [{ name: ctx.username, secret: ctx.password }],
    clock: ctx.clock,
    dialplanDir: PROJECT_DIALPLANS,
  });
  const detach = attachAmiToPbx(ami, ctx.pbx);
  return {
    port: ami.port,
    async stop() {
      detach();
      await ami.stop();
    },
  };
}
