import { WebSocket } from 'ws';

/** Field names and value types of a JSON value, recursively; arrays by the set of their element shapes. */
export function shapeOf(value: unknown): unknown {
  if (value === null) return 'null';
  if (Array.isArray(value)) {
    const shapes = [...new Set(value.map((v) => JSON.stringify(shapeOf(v))))].sort();
    return { array: shapes };
  }
  if (typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(value as Record<string, unknown>).sort()) out[key] = shapeOf((value as Record<string, unknown>)[key]);
    return out;
  }
  return typeof value;
}

export const shapeKey = (value: unknown): string => JSON.stringify(shapeOf(value));

export function basicAuth(user: string, password: string): string {
  return 'Basic ' + Buffer.from(`${user}:${password}`).toString('base64');
}

export interface AriCall {
  status: number;
  body: unknown;
}

/** One REST call to the simulator's ARI, like the recorder did (query parameters, optional JSON body). */
export async function ariFetch(
  baseUrl: string,
  method: string,
  path: string,
  opts: { query?: Record<string, string>; body?: unknown; auth?: string | null } = {},
): Promise<AriCall> {
  const url = new URL(`${baseUrl}/ari${path}`);
  for (const [k, v] of Object.entries(opts.query ?? {})) url.searchParams.set(k, v);
  const headers: Record<string, string> = {};
  if (opts.auth !== null) headers.Authorization = opts.auth ?? basicAuth('siaga112', 'demo');
  if (opts.body !== undefined && opts.body !== null) headers['Content-Type'] = 'application/json';
  const res = await fetch(url, { method, headers, body: opts.body === undefined || opts.body === null ? undefined : JSON.stringify(opts.body) });
  const text = await res.text();
  return { status: res.status, body: text === '' ? null : (JSON.parse(text) as unknown) };
}

/** A plain WebSocket app client that keeps every message it gets, verbatim. */
export class EventTap {
  readonly messages: Array<Record<string, unknown>> = [];
  readonly raw: string[] = [];
  ws!: WebSocket;

  static async open(baseUrl: string, app: string, opts: { user?: string; password?: string; subscribeAll?: boolean } = {}): Promise<EventTap> {
    const tap = new EventTap();
    const wsUrl = `${baseUrl.replace('http', 'ws')}/ari/events?app=${app}&api_key=${opts.user ?? 'siaga112'}:${opts.password ?? 'demo'}${opts.subscribeAll ? '&subscribeAll=true' : ''}`;
    tap.ws = new WebSocket(wsUrl);
    tap.ws.on('message', (data) => {
      const text = data.toString();
      tap.raw.push(text);
      tap.messages.push(JSON.parse(text) as Record<string, unknown>);
    });
    await new Promise<void>((resolve, reject) => {
      tap.ws.once('open', () => resolve());
      tap.ws.once('error', reject);
    });
    return tap;
  }

  types(): string[] {
    return this.messages.map((m) => String(m.type));
  }

  async close(): Promise<void> {
    if (this.ws.readyState === WebSocket.CLOSED) return;
    await new Promise<void>((resolve) => {
      this.ws.once('close', () => resolve());
      this.ws.close();
    });
  }
}

/** Let sockets deliver what is in flight (real time, a few ms). */
export function flush(ms = 30): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Wait (real time) until `cond` holds. */
export async function until(cond: () => boolean, timeoutMs = 3000, what = 'condition'): Promise<void> {
  const start = Date.now();
  while (!cond()) {
    if (Date.now() - start > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await flush(10);
  }
}
