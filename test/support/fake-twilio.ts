import http from 'node:http';
import type { AddressInfo } from 'node:net';

/** One request the twilio client sent. */
export interface RecordedTwilioRequest {
  method: string;
  path: string;
  /** Account SID from HTTP Basic auth (undefined when missing). */
  username?: string;
  password?: string;
  /** The form-encoded body, decoded. */
  form: Record<string, string>;
  /** `update` for POST .../Calls/{Sid}.json, `create` for POST .../Calls.json. */
  kind: 'update' | 'create' | 'other';
  callSid?: string;
}

interface CannedError {
  status: number;
  code: number;
  message: string;
}

/**
 * A fake Twilio REST API on loopback: records every request the `twilio`
 * client sends (call updates and creations) and answers with Call resource
 * JSON shaped like Twilio's. Point the client at `baseUrl` through
 * config twilio.apiBaseUrl.
 */
export class FakeTwilioApi {
  readonly requests: RecordedTwilioRequest[] = [];
  private server?: http.Server;
  private errors = new Map<string, CannedError>();
  private waiters: Array<{ match: (r: RecordedTwilioRequest) => boolean; resolve: (r: RecordedTwilioRequest) => void }> = [];
  private createdCount = 0;

  constructor(readonly accountSid = 'AC' + '0'.repeat(32)) {}

  get baseUrl(): string {
    const address = this.server?.address() as AddressInfo | null;
    if (!address) throw new Error('FakeTwilioApi not started');
    return `http://127.0.0.1:${address.port}`;
  }

  async start(): Promise<this> {
    this.server = http.createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    return this;
  }

  async stop(): Promise<void> {
    const server = this.server;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    this.server = undefined;
  }

  /** Answer requests about this call with a Twilio error (404/20404 for a gone call, 400/21220 for a finished one). */
  failCall(callSid: string, error: CannedError = { status: 404, code: 20404, message: 'The requested resource was not found' }): void {
    this.errors.set(callSid, error);
  }

  updatesOf(callSid: string): RecordedTwilioRequest[] {
    return this.requests.filter((r) => r.kind === 'update' && r.callSid === callSid);
  }

  /** Resolves with the first request (already recorded or still to come) that matches. */
  waitFor(match: (r: RecordedTwilioRequest) => boolean): Promise<RecordedTwilioRequest> {
    const seen = this.requests.find(match);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve) => this.waiters.push({ match, resolve }));
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks).toString('utf8');
    const url = new URL(req.url ?? '/', 'http://fake');
    const form = Object.fromEntries(new URLSearchParams(body));
    const auth = req.headers.authorization?.startsWith('Basic ')
      ? Buffer.from(req.headers.authorization.slice(6), 'base64').toString('utf8')
      : undefined;
    const [username, password] = auth ? [auth.slice(0, auth.indexOf(':')), auth.slice(auth.indexOf(':') + 1)] : [undefined, undefined];
    const update = /^\/2010-04-01\/Accounts\/(AC[0-9a-fA-F]{32})\/Calls\/(CA[0-9a-fA-F]{32})\.json$/.exec(url.pathname);
    const create = /^\/2010-04-01\/Accounts\/(AC[0-9a-fA-F]{32})\/Calls\.json$/.exec(url.pathname);
    const recorded: RecordedTwilioRequest = {
      method: req.method ?? 'GET',
      path: url.pathname,
      username,
      password,
      form,
      kind: update && req.method === 'POST' ? 'update' : create && req.method === 'POST' ? 'create' : 'other',
      callSid: update?.[2],
    };
    this.requests.push(recorded);
    for (const w of this.waiters.filter((x) => x.match(recorded))) {
      this.waiters = this.waiters.filter((x) => x !== w);
      w.resolve(recorded);
    }

    const send = (status: number, json: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(json));
    };
    if (!username || username !== this.accountSid) {
      send(401, { code: 20003, message: 'Authenticate', more_info: 'https://www.twilio.com/docs/errors/20003', status: 401 });
      return;
    }
    const canned = recorded.callSid ? this.errors.get(recorded.callSid) : undefined;
    if (canned) {
      send(canned.status, { code: canned.code, message: canned.message, more_info: `https://www.twilio.com/docs/errors/${canned.code}`, status: canned.status });
      return;
    }
    if (recorded.kind === 'update') {
      const status = form.Status ?? 'in-progress';
      send(200, this.callJson(recorded.callSid!, status, form));
      return;
    }
    if (recorded.kind === 'create') {
      this.createdCount += 1;
      const sid = 'CA' + this.createdCount.toString(16).padStart(32, 'f');
      send(201, this.callJson(sid, 'queued', form));
      return;
    }
    send(404, { code: 20404, message: 'The requested resource was not found', more_info: 'https://www.twilio.com/docs/errors/20404', status: 404 });
  }

  private callJson(sid: string, status: string, form: Record<string, string>): Record<string, unknown> {
    const now = new Date().toUTCString();
    return {
      sid,
      account_sid: this.accountSid,
      parent_call_sid: null,
      to: form.To ?? '+62215000000',
      to_formatted: form.To ?? '+62215000000',
      from: form.From ?? '+6281234567890',
      from_formatted: form.From ?? '+6281234567890',
      phone_number_sid: null,
      status,
      start_time: now,
      end_time: null,
      duration: null,
      price: null,
      price_unit: 'USD',
      direction: 'inbound',
      answered_by: null,
      api_version: '2010-04-01',
      forwarded_from: null,
      caller_name: null,
      queue_time: '0',
      date_created: now,
      date_updated: now,
      uri: `/2010-04-01/Accounts/${this.accountSid}/Calls/${sid}.json`,
      subresource_uris: {},
    };
  }
}
