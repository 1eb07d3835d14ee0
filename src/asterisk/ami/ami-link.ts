import type { Clock } from '../../core/clock';
import { TelephonyError, errorMessage } from '../../core/errors';
import type { Logger } from '../../core/logger';
import { CappedBackoff, sleep, withTimeout } from '../timing';

/** One AMI message as asterisk-manager hands it: keys lower-cased; repeated keys become arrays. */
export type AmiMessage = Record<string, unknown>;

/** What siaga112 needs from AMI; no asterisk-manager type leaves this folder. */
export interface AmiLink {
  /** Connect, log in and stay connected (forever, capped backoff) until stop(). Resolves at the first login. */
  start(): Promise<void>;
  stop(): Promise<void>;
  readonly connected: boolean;
  /** Send an action; rejects with TelephonyError on `Response: Error`, when not connected, or after the timeout. */
  action(fields: Record<string, string>, timeoutMs?: number): Promise<AmiMessage>;
  onEvent(handler: (event: AmiMessage) => void): void;
  onConnection(handler: (up: boolean) => void): void;
}

// asterisk-manager ships no types: the part used, described here.
type ActionCallback = (err: AmiMessage | undefined | null, res?: AmiMessage) => void;
interface Manager {
  on(event: string, fn: (...args: unknown[]) => void): void;
  removeAllListeners(event?: string): void;
  connect(port: number, host: string, cb?: (err: unknown) => void): void;
  login(cb: (err?: AmiMessage) => void): void;
  action(action: Record<string, string>, cb?: ActionCallback): string;
  disconnect(): void;
  isConnected(): boolean;
}
type ManagerFactory = (port?: number, host?: string, user?: string, pass?: string, events?: boolean) => Manager;
// eslint-disable-next-line @typescript-eslint/no-require-imports
const createManager = require('asterisk-manager') as ManagerFactory;

export interface AsteriskManagerLinkOptions {
  host: string;
  port: number;
  user: string;
  password: string;
  clock: Clock;
  logger: Logger;
  actionTimeoutMs: number;
  reconnectMaxMs: number;
}

/**
 * AMI through the unmodified `asterisk-manager` package, with what it lacks:
 *  - no action ever times out (a dead socket leaves callbacks pending
 *    forever): every action here has a timeout;
 *  - actions sent before login are held silently: here they fail at once
 *    when the link is down, so callers can decide;
 *  - its keepConnected() logs to the console and stops backing off at 60 s
 *    with no login retry on auth failure: siaga112 reconnects itself with
 *    a fresh Manager and capped backoff, forever.
 */
export class AsteriskManagerLink implements AmiLink {
  private manager?: Manager;
  private up = false;
  private stopped = false;
  private reconnecting = false;
  private readonly backoff: CappedBackoff;
  private readonly eventHandlers: Array<(event: AmiMessage) => void> = [];
  private readonly connectionHandlers: Array<(up: boolean) => void> = [];

  constructor(private readonly opts: AsteriskManagerLinkOptions) {
    this.backoff = new CappedBackoff(500, opts.reconnectMaxMs);
  }

  get connected(): boolean {
    return this.up;
  }

  onEvent(handler: (event: AmiMessage) => void): void {
    this.eventHandlers.push(handler);
  }

  onConnection(handler: (up: boolean) => void): void {
    this.connectionHandlers.push(handler);
  }

  async start(): Promise<void> {
    this.stopped = false;
    while (!this.stopped) {
      try {
        await this.connectOnce();
        return;
      } catch (err) {
        const delay = this.backoff.next();
        this.opts.logger.warn('AMI not reachable, retrying', { error: errorMessage(err), retryInMs: delay });
        await sleep(this.opts.clock, delay);
      }
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.drop();
  }

  private drop(): void {
    const m = this.manager;
    this.manager = undefined;
    if (m) {
      m.removeAllListeners('managerevent');
      m.removeAllListeners('close');
      try {
        m.disconnect();
      } catch {
        // already closed
      }
    }
    this.setUp(false);
  }

  private async connectOnce(): Promise<void> {
    this.drop();
    const m = createManager(undefined, this.opts.host, this.opts.user, this.opts.password, true);
    this.manager = m;
    const timeout = this.opts.actionTimeoutMs;
    await withTimeout(
      this.opts.clock,
      timeout,
      'AMI connect',
      new Promise<void>((resolve, reject) => {
        m.on('error', (err: unknown) => reject(err instanceof Error ? err : new Error(String(err))));
        m.connect(this.opts.port, this.opts.host, () => resolve());
      }),
    ).catch((err: unknown) => {
      if (this.manager === m) this.drop();
      throw err;
    });
    await withTimeout(
      this.opts.clock,
      timeout,
      'AMI login',
      new Promise<void>((resolve, reject) => m.login((err) => (err ? reject(new TelephonyError(`AMI login refused: ${String(err.message ?? 'error')}`)) : resolve()))),
    ).catch((err: unknown) => {
      if (this.manager === m) this.drop();
      throw err;
    });
    m.on('managerevent', (event: unknown) => this.deliver(event));
    m.on('close', () => {
      if (this.manager !== m) return;
      this.opts.logger.warn('AMI connection closed; reconnecting');
      this.setUp(false);
      void this.reconnect();
    });
    this.backoff.reset();
    this.setUp(true);
  }

  private async reconnect(): Promise<void> {
    if (this.reconnecting) return;
    this.reconnecting = true;
    try {
      while (!this.stopped && !this.up) {
        await sleep(this.opts.clock, this.backoff.next());
        if (this.stopped) return;
        try {
          await this.connectOnce();
        } catch (err) {
          this.opts.logger.warn('AMI still down', { error: errorMessage(err) });
        }
      }
    } finally {
      this.reconnecting = false;
    }
  }

  action(fields: Record<string, string>, timeoutMs = this.opts.actionTimeoutMs): Promise<AmiMessage> {
    const m = this.manager;
    const name = fields.action ?? fields.Action ?? 'action';
    if (!m || !this.up) return Promise.reject(new TelephonyError(`AMI ${name}: not connected`));
    return withTimeout(
      this.opts.clock,
      timeoutMs,
      `AMI ${name}`,
      new Promise<AmiMessage>((resolve, reject) => {
        m.action({ ...fields }, (err, res) => {
          if (err) reject(new TelephonyError(`AMI ${name} failed: ${amiText(err.output) || amiText(err.message) || 'error'}`, false, { response: err }));
          else resolve(res ?? {});
        });
      }),
    );
  }

  private deliver(event: unknown): void {
    if (!event || typeof event !== 'object') return;
    for (const handler of this.eventHandlers) {
      try {
        handler(event as AmiMessage);
      } catch (err) {
        this.opts.logger.error('AMI event handler failed', { error: errorMessage(err) });
      }
    }
  }

  private setUp(up: boolean): void {
    if (this.up === up) return;
    this.up = up;
    if (up) this.opts.logger.info('AMI connected', { host: this.opts.host, port: this.opts.port });
    for (const handler of this.connectionHandlers) {
      try {
        handler(up);
      } catch (err) {
        this.opts.logger.error('AMI connection handler failed', { error: errorMessage(err) });
      }
    }
  }
}

/** A field value as text (repeated keys arrive as arrays). */
export function amiText(value: unknown): string {
  if (typeof value === 'string') return value;
  if (Array.isArray(value)) return value.map(String).join('\n');
  return '';
}

/** `Output:` lines of a Command response (Asterisk 14+; one key per line, repeated). */
export function amiOutputLines(res: AmiMessage): string[] {
  const out = res.output;
  if (Array.isArray(out)) return out.map(String);
  if (typeof out === 'string') return [out];
  return [];
}

/** asterisk-manager turns `Variable: NAME` into `{ NAME: '' }` (it expects NAME=value): read the name back. */
export function amiVariableName(value: unknown): string {
  if (typeof value === 'string') return value;
  if (value && typeof value === 'object') return Object.keys(value)[0] ?? '';
  return '';
}
