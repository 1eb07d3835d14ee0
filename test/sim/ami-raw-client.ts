/** A bare TCP AMI client for the tests: send messages, wait for replies, see every byte. */
import net from 'node:net';
import { AmiFramer, getHeader, serializeMessage, type AmiField, type AmiMessage } from '../../src/sim/ami/message';

export class RawAmiClient {
  readonly messages: AmiMessage[] = [];
  banner = '';
  closed = false;
  private framer = new AmiFramer();
  private waiters: Array<() => void> = [];

  private constructor(readonly socket: net.Socket) {
    socket.setEncoding('utf8');
    let first = true;
    socket.on('data', (chunk: string) => {
      let text = chunk;
      if (first) {
        const nl = text.indexOf('\r\n');
        this.banner = text.slice(0, nl);
        text = text.slice(nl + 2);
        first = false;
      }
      this.messages.push(...this.framer.push(text));
      this.wake();
    });
    socket.on('close', () => {
      this.closed = true;
      this.wake();
    });
    socket.on('error', () => undefined);
  }

  static connect(port: number): Promise<RawAmiClient> {
    return new Promise((resolve, reject) => {
      const s = net.createConnection(port, '127.0.0.1');
      const c = new RawAmiClient(s);
      s.once('error', reject);
      // Resolve once the banner arrived.
      c.until(() => c.banner !== '', 2000).then(() => resolve(c), reject);
    });
  }

  send(fields: AmiField[]): void {
    this.socket.write(serializeMessage(fields));
  }

  private wake(): void {
    const w = this.waiters;
    this.waiters = [];
    w.forEach((f) => f());
  }

  async until(pred: () => boolean, timeoutMs = 3000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!pred()) {
      if (Date.now() > deadline) throw new Error('timed out waiting for AMI traffic');
      await new Promise<void>((r) => {
        this.waiters.push(r);
        setTimeout(r, 20);
      });
    }
  }

  /** Send an action and wait for the response with its ActionID. */
  async action(fields: AmiField[], timeoutMs = 3000): Promise<AmiMessage> {
    const id = getHeader(fields, 'ActionID');
    if (id === undefined) throw new Error('test actions need an ActionID');
    this.send(fields);
    const find = (): AmiMessage | undefined => this.messages.find((m) => m[0]?.[0] === 'Response' && getHeader(m, 'ActionID') === id);
    await this.until(() => find() !== undefined || this.closed, timeoutMs);
    const r = find();
    if (!r) throw new Error(`connection closed before the answer to ${id}`);
    return r;
  }

  events(name: string): AmiMessage[] {
    return this.messages.filter((m) => m[0]?.[0] === 'Event' && m[0][1] === name);
  }

  close(): void {
    this.socket.destroy();
  }
}

export async function rawLogin(port: number, user = 'siaga', secret = 'siaga', events?: string): Promise<RawAmiClient> {
  const c = await RawAmiClient.connect(port);
  const f: AmiField[] = [['Action', 'Login'], ['ActionID', 'login-1'], ['Username', user], ['Secret', secret]];
  if (events) f.push(['Events', events]);
  await c.action(f);
  return c;
}
