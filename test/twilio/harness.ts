import http from 'node:http';
import type { AddressInfo } from 'node:net';
import twilio from 'twilio';
import sinon from 'sinon';
import type { Redis } from 'ioredis';
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { SystemClock, type Clock } from '../../src/core/clock';
import { silentLogger } from '../../src/core/logger';
import { createHttpApp } from '../../src/http/app';
import type { TwilioCallHandler } from '../../src/twilio/call-handler';
import { InMemoryRingEventBus, type RingEventBus } from '../../src/twilio/ring-events';
import { createTwilioRouter, type TwilioRouterDeps } from '../../src/twilio/router';
import { ReassureMarks } from '../../src/twilio/waiting-control';

export const AUTH_TOKEN = 'test-auth-token-0123456789abcdef';
export const ACCOUNT_SID = 'AC' + '0'.repeat(32);
export const PUBLIC_URL = 'https://siaga112.example.go.id';

let sidCounter = 0;
/** A fresh, valid CallSid. */
export function newCallSid(): string {
  sidCounter += 1;
  return 'CA' + (Date.now().toString(16) + sidCounter.toString(16)).padStart(32, '0').slice(-32);
}

export function callForm(callSid: string, extra: Record<string, string> = {}): Record<string, string> {
  return {
    AccountSid: ACCOUNT_SID,
    ApiVersion: '2010-04-01',
    CallSid: callSid,
    CallStatus: 'in-progress',
    Direction: 'inbound',
    From: '+6281234567890',
    To: '+62215000112',
    Caller: '+6281234567890',
    Called: '+62215000112',
    FromCountry: 'ID',
    ...extra,
  };
}

/** A handler whose every method is a sinon stub with a sensible answer. */
export function stubHandler(): TwilioCallHandler & { [K in keyof TwilioCallHandler]: sinon.SinonStub } {
  const prompt = { text: 'Tekan 1 untuk kebakaran.', sayLanguage: 'id-ID', voice: 'Google.id-ID-Standard-A' };
  return {
    onIncoming: sinon.stub().resolves({ kind: 'menu', prompts: [prompt], timeoutSeconds: 5, step: 'menu-1' }),
    onDigit: sinon.stub().resolves({ kind: 'wait', prompts: [{ text: 'Mohon tunggu.', sayLanguage: 'id-ID' }] }),
    onNoInput: sinon.stub().resolves({ kind: 'menu', prompts: [prompt], timeoutSeconds: 5, step: 'menu-2' }),
    onWait: sinon.stub().resolves({}),
    onDialResult: sinon.stub().resolves({ kind: 'wait' }),
    onStatus: sinon.stub().resolves(),
    onOperatorLeg: sinon.stub().resolves(),
  };
}

export interface WebhookServer {
  baseUrl: string;
  handler: ReturnType<typeof stubHandler>;
  bus: RingEventBus;
  marks: ReassureMarks;
  close(): Promise<void>;
}

/** The Twilio router inside the project's HTTP app, listening on loopback. */
export async function startWebhookServer(
  redis: Redis,
  overrides: Partial<TwilioRouterDeps> & { appTrustProxy?: boolean } = {},
  clock: Clock = new SystemClock(),
): Promise<WebhookServer> {
  const handler = stubHandler();
  const bus = overrides.ringEvents ?? new InMemoryRingEventBus();
  const marks = overrides.reassureMarks ?? new ReassureMarks(redis);
  const logger = silentLogger();
  const router = createTwilioRouter({
    handler,
    authToken: AUTH_TOKEN,
    publicUrl: PUBLIC_URL,
    trustProxy: false,
    redis,
    ringEvents: bus,
    reassureMarks: marks,
    clock,
    logger,
    holdAudioUrl: 'https://cdn.example.go.id/hold.wav',
    ...overrides,
  });
  const app = createHttpApp({ logger, readiness: [], trustProxy: overrides.appTrustProxy ?? false, routers: [router] });
  const server = http.createServer(app);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    baseUrl: `http://127.0.0.1:${port}`,
    handler: (overrides.handler as ReturnType<typeof stubHandler>) ?? handler,
    bus,
    marks,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

export interface PostOptions {
  /** The URL Twilio signs (default: PUBLIC_URL + path). */
  signedUrl?: string;
  /** Sign with this token instead (forgery). */
  token?: string;
  /** Leave the signature header out. */
  unsigned?: boolean;
  headers?: Record<string, string>;
  /** Change the body after signing (tampering). */
  tamper?: Record<string, string>;
}

export interface PostResult {
  status: number;
  body: string;
  contentType: string | null;
}

/** POST a form the way Twilio does, signed with the twilio package's own getExpectedTwilioSignature. */
export async function postSigned(server: { baseUrl: string }, pathAndQuery: string, form: Record<string, string>, options: PostOptions = {}): Promise<PostResult> {
  const signedUrl = options.signedUrl ?? PUBLIC_URL + pathAndQuery;
  const signature = twilio.getExpectedTwilioSignature(options.token ?? AUTH_TOKEN, signedUrl, form);
  const sent = { ...form, ...(options.tamper ?? {}) };
  const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded', ...(options.headers ?? {}) };
  if (!options.unsigned) headers['x-twilio-signature'] = signature;
  const res = await fetch(server.baseUrl + pathAndQuery, { method: 'POST', headers, body: new URLSearchParams(sent).toString() });
  return { status: res.status, body: await res.text(), contentType: res.headers.get('content-type') };
}

// ---- TwiML checks: what Twilio accepts ----

/** Verbs and nouns siaga112 may emit, with the attributes Twilio documents for each (twilio-reference §2-5, §8). */
const ALLOWED: Record<string, ReadonlySet<string>> = {
  Response: new Set(),
  Gather: new Set(['action', 'actionOnEmptyResult', 'finishOnKey', 'input', 'language', 'method', 'numDigits', 'timeout', 'speechTimeout']),
  Say: new Set(['language', 'loop', 'voice']),
  Play: new Set(['loop', 'digits']),
  Pause: new Set(['length']),
  Redirect: new Set(['method']),
  Enqueue: new Set(['action', 'method', 'waitUrl', 'waitUrlMethod', 'workflowSid']),
  Dial: new Set(['action', 'method', 'timeout', 'callerId', 'answerOnBridge', 'record', 'ringTone', 'timeLimit', 'hangupOnStar']),
  Client: new Set(['url', 'method', 'statusCallbackEvent', 'statusCallback', 'statusCallbackMethod']),
  Identity: new Set(),
  Parameter: new Set(['name', 'value']),
  Sip: new Set(['username', 'password', 'url', 'method', 'statusCallbackEvent', 'statusCallback', 'statusCallbackMethod']),
  Number: new Set(['sendDigits', 'url', 'method', 'statusCallbackEvent', 'statusCallback', 'statusCallbackMethod']),
  Hangup: new Set(),
};
const CHILDREN: Record<string, ReadonlySet<string>> = {
  Response: new Set(['Gather', 'Say', 'Play', 'Pause', 'Redirect', 'Enqueue', 'Dial', 'Hangup']),
  Gather: new Set(['Say', 'Play', 'Pause']),
  Dial: new Set(['Client', 'Sip', 'Number']),
  Client: new Set(['Identity', 'Parameter']),
};
const URL_ATTRIBUTES = new Set(['action', 'waitUrl', 'statusCallback', 'url']);

export interface TwimlNode {
  name: string;
  attrs: Record<string, string>;
  text: string;
  children: TwimlNode[];
}

/** Parse TwiML, throwing when it is not valid XML or uses a verb, nesting or attribute Twilio does not accept. */
export function checkTwiml(xml: string): TwimlNode {
  const valid = XMLValidator.validate(xml);
  if (valid !== true) throw new Error(`not valid XML: ${valid.err.msg}`);
  const parser = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '', preserveOrder: true, parseTagValue: false, trimValues: false });
  const tree = parser.parse(xml) as Array<Record<string, unknown>>;
  const toNode = (entry: Record<string, unknown>): TwimlNode | undefined => {
    const name = Object.keys(entry).find((k) => k !== ':@');
    if (!name || name === '?xml' || name === '#text') return undefined;
    const attrs = (entry[':@'] as Record<string, string> | undefined) ?? {};
    const raw = entry[name] as Array<Record<string, unknown>>;
    const children = raw.map(toNode).filter((n): n is TwimlNode => n !== undefined);
    const text = raw.filter((c) => '#text' in c).map((c) => String(c['#text'])).join('');
    return { name, attrs, text, children };
  };
  const roots = tree.map(toNode).filter((n): n is TwimlNode => n !== undefined);
  if (roots.length !== 1 || roots[0]!.name !== 'Response') throw new Error('TwiML must have one <Response> root');
  const walk = (node: TwimlNode): void => {
    const allowed = ALLOWED[node.name];
    if (!allowed) throw new Error(`<${node.name}> is not a verb or noun siaga112 may use`);
    for (const attr of Object.keys(node.attrs)) {
      if (!allowed.has(attr)) throw new Error(`<${node.name}> has attribute ${attr}, which Twilio does not accept`);
      if (URL_ATTRIBUTES.has(attr) && !/^https?:\/\/[^/]/.test(node.attrs[attr]!)) throw new Error(`<${node.name} ${attr}> is not absolute: ${node.attrs[attr]}`);
    }
    if (node.name === 'Redirect' && !/^https?:\/\/[^/]/.test(node.text)) throw new Error(`<Redirect> URL is not absolute: ${node.text}`);
    if (node.name === 'Gather' && !node.attrs.action) throw new Error('<Gather> without action loops to itself');
    for (const child of node.children) {
      if (!CHILDREN[node.name]?.has(child.name)) throw new Error(`<${child.name}> may not be nested in <${node.name}>`);
      walk(child);
    }
  };
  walk(roots[0]!);
  return roots[0]!;
}

/** Every element named `name`, depth first. */
export function findAll(node: TwimlNode, name: string): TwimlNode[] {
  const out: TwimlNode[] = node.name === name ? [node] : [];
  for (const c of node.children) out.push(...findAll(c, name));
  return out;
}
