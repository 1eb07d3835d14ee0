import { expect } from 'chai';
import { ManualClock } from '../../src/core/clock';
import { startSimulator, type Simulator } from '../../src/sim/index';
import type { ScenarioInput } from '../../src/sim/scenario/schema';
import { describeWithFixtures, readJsonl } from '../support/fixtures';
import { ariFetch, basicAuth, EventTap, flush, shapeKey } from './helpers';

interface Pair {
  method: string;
  path: string;
  query: Record<string, string> | null;
  body: unknown;
  status: number;
  responseBody: unknown;
  note?: string;
}

interface Ctx {
  sim: Simulator;
  clock: ManualClock;
  callerId?: string;
  tap?: EventTap;
  openWs(subscribeAll?: boolean): Promise<void>;
  closeWs(): Promise<void>;
}

interface Hook {
  when: (p: Pair, i: number) => boolean;
  run: (ctx: Ctx, p: Pair) => Promise<void> | void;
}

interface FileSetup {
  scenario?: ScenarioInput;
  caller?: { headers?: Record<string, string> };
  wsOpen: boolean;
  hooks?: Hook[];
}

const noteHas = (text: string) => (p: Pair) => (p.note ?? '').includes(text);
const advance = (ms: number) => async (ctx: Ctx) => {
  ctx.clock.advance(ms);
  await flush(15);
};

const OPS = { endpoints: [{ resource: 'op1', after: 0.01 }, { resource: 'op2', registered: false }] } satisfies ScenarioInput;

/** How each recording was made, so the simulator can be put in the same situation. */
const FILES: Record<string, FileSetup> = {
  'ari-rest-system.jsonl': { scenario: OPS, wsOpen: true },
  'ari-rest-call-control.jsonl': { scenario: OPS, caller: {}, wsOpen: true },
  'ari-rest-caller-hangup-while-operator-ringing.jsonl': {
    scenario: { endpoints: [{ resource: 'op1', behaviour: 'no-answer' }] },
    caller: {},
    wsOpen: true,
    hooks: [{ when: noteHas('after the caller hung up'), run: async (ctx) => (ctx.sim.control.callerHangup(ctx.callerId as string), advance(3000)(ctx)) }],
  },
  'ari-rest-dtmf-during-playback.jsonl': { caller: {}, wsOpen: true, hooks: [{ when: noteHas('after DTMF'), run: async (ctx) => (ctx.sim.control.callerDtmf(ctx.callerId as string, '1'), advance(1000)(ctx)) }] },
  'ari-rest-endpoint-subscription.jsonl': {
    scenario: OPS,
    wsOpen: true,
    hooks: [
      { when: noteHas('after unregister (Expires: 0)'), run: (ctx) => ctx.sim.control.unregisterEndpoint('op1') },
      { when: (p) => p.path.endsWith('/op1') && p.note === 'after register', run: (ctx) => ctx.sim.control.registerEndpoint('op1') },
      { when: noteHas('subscribeAll=true'), run: async (ctx) => (await ctx.closeWs(), ctx.openWs(true)) },
      { when: (p) => p.path.endsWith('/op2') && p.note === 'after register', run: (ctx) => ctx.sim.control.registerEndpoint('op2') },
      { when: (p) => p.path.endsWith('/op2') && p.note === 'after unregister', run: (ctx) => ctx.sim.control.unregisterEndpoint('op2') },
      { when: noteHas('no websocket connected'), run: (ctx) => ctx.closeWs() },
    ],
  },
  'ari-rest-errors.jsonl': {
    scenario: { endpoints: [{ resource: 'op1', behaviour: 'no-answer' }] },
    wsOpen: false,
    hooks: [{ when: noteHas('unknown route'), run: (ctx) => ctx.openWs() }],
  },
  'ari-rest-originate.jsonl': {
    scenario: { endpoints: [{ resource: 'op1', behaviour: 'no-answer' }, { resource: 'op2', registered: false }] },
    wsOpen: true,
    hooks: [{ when: noteHas('after /dial timed out'), run: advance(8000) }],
  },
  'ari-rest-redirect.jsonl': { scenario: OPS, caller: {}, wsOpen: true },
  'ari-rest-sip-headers-pidf-multipart.jsonl': {
    caller: {
      headers: {
        Geolocation: '<cid:target123@caller.example.com>',
        'Geolocation-Routing': 'yes',
        'X-Caller-Location': 'lat=-6.175392;lon=106.827153;acc=25',
        'X-Caller-Imei': '356938035643809',
        'Content-Type': 'multipart/mixed;boundary=boundary1',
      },
    },
    wsOpen: true,
  },
  'ari-rest-talk-detect.jsonl': { caller: {}, wsOpen: true },
  'ari-rest-ws-disconnect-gap.jsonl': {
    caller: {},
    wsOpen: true,
    hooks: [
      { when: noteHas('websocket gap'), run: (ctx) => ctx.closeWs() },
      { when: noteHas('second gap'), run: (ctx) => ctx.closeWs() },
      { when: noteHas('after reconnect'), run: (ctx) => ctx.openWs() },
    ],
  },
};

/** The recorded id of the call's caller: the first channel id used in a path that no response created. */
function recordedCallerId(pairs: Pair[]): string | undefined {
  const created = new Set<string>();
  for (const p of pairs) {
    const m = /^\/channels\/(\d+\.\d+)/.exec(p.path);
    if (m && !created.has(m[1])) return m[1];
    const body = p.responseBody as { id?: unknown } | null;
    if (body && typeof body === 'object' && typeof body.id === 'string') created.add(body.id);
  }
  return undefined;
}

describeWithFixtures('ARI REST: recorded request/response pairs replayed against the simulator', function () {
  for (const [file, setup] of Object.entries(FILES)) {
    it(`answers ${file} with the recorded statuses and body shapes`, async function () {
      const pairs = readJsonl<Pair>(file);
      const clock = new ManualClock(Date.UTC(2026, 10, 28, 16, 0, 0));
      // The recordings used ari.conf user siaga/siaga (also in api_key queries).
      const sim = await startSimulator({ ariPort: 0, clock, username: 'siaga', password: 'siaga', scenario: setup.scenario });
      const ids = new Map<string, string>();
      const ctx: Ctx = {
        sim,
        clock,
        async openWs(subscribeAll = false) {
          if (ctx.tap && ctx.tap.ws.readyState === ctx.tap.ws.OPEN) return;
          ctx.tap = await EventTap.open(sim.ariUrl, 'siaga112', { user: 'siaga', password: 'siaga', subscribeAll });
          await flush(15);
        },
        async closeWs() {
          await ctx.tap?.close();
          await flush(15);
        },
      };
      try {
        if (setup.wsOpen) await ctx.openWs();
        if (setup.caller) {
          const ch = sim.control.placeCall({ from: '081234567890', name: 'Caller 112', headers: setup.caller.headers });
          ctx.callerId = ch.id;
          const recorded = recordedCallerId(pairs);
          if (recorded) ids.set(recorded, ch.id);
        }
        const mapValue = (v: string): string => v.split(',').map((part) => ids.get(part) ?? part).join(',');
        const problems: string[] = [];
        for (const [i, p] of pairs.entries()) {
          for (const hook of setup.hooks ?? []) if (hook.when(p, i)) await hook.run(ctx, p);
          clock.advance(50);
          await flush(5);
          const path = p.path.split('/').map((seg) => ids.get(seg) ?? seg).join('/');
          const query = Object.fromEntries(Object.entries(p.query ?? {}).map(([k, v]) => [k, mapValue(String(v))]));
          const auth = p.note?.includes('no Authorization header') ? null : p.note?.includes('siaga:wrong') ? basicAuth('siaga', 'wrong') : basicAuth('siaga', 'siaga');
          const got = await ariFetch(sim.ariUrl, p.method, path, { query, body: p.body, auth });
          const rec = p.responseBody as { id?: unknown } | null;
          const mine = got.body as { id?: unknown } | null;
          if (rec && mine && typeof rec.id === 'string' && typeof mine.id === 'string' && !ids.has(rec.id)) ids.set(rec.id, mine.id);
          const label = `#${i} ${p.method} ${p.path} ${JSON.stringify(p.query ?? {})}${p.note ? ` (${p.note})` : ''}`;
          if (got.status !== p.status) problems.push(`${label}: status ${got.status} ${JSON.stringify(got.body)}, recorded ${p.status}`);
          // Error bodies are Asterisk's exact text; success bodies are compared by shape (ids and times differ).
          else if (p.status >= 400 && JSON.stringify(got.body) !== JSON.stringify(p.responseBody)) problems.push(`${label}: error body ${JSON.stringify(got.body)} vs recorded ${JSON.stringify(p.responseBody)}`);
          else if (shapeKey(got.body) !== shapeKey(p.responseBody)) problems.push(`${label}: body ${JSON.stringify(got.body)?.slice(0, 200)} vs recorded ${JSON.stringify(p.responseBody)?.slice(0, 200)}`);
        }
        expect(problems).to.deep.equal([]);
        expect(pairs.length).to.be.greaterThan(0);
      } finally {
        await ctx.tap?.close();
        await sim.stop();
      }
    });
  }
});
