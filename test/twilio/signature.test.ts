import { expect } from 'chai';
import type { Redis } from 'ioredis';
import { freshRedis } from '../support/redis';
import { callForm, newCallSid, postSigned, PUBLIC_URL, startWebhookServer, type WebhookServer } from './harness';

describe('twilio webhook signature', () => {
  let redis: Redis;
  let server: WebhookServer | undefined;

  before(async () => {
    redis = await freshRedis();
  });
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });
  after(async () => {
    redis.disconnect();
  });

  it('lets a request signed by Twilio through to the handler', async () => {
    server = await startWebhookServer(redis);
    const res = await postSigned(server, '/twilio/voice', callForm(newCallSid()));
    expect(res.status).to.equal(200);
    expect(res.contentType).to.match(/xml/);
    expect(server.handler.onIncoming.calledOnce).to.equal(true);
  });

  it('refuses a request without X-Twilio-Signature with 403 and runs nothing', async () => {
    server = await startWebhookServer(redis);
    const res = await postSigned(server, '/twilio/voice', callForm(newCallSid()), { unsigned: true });
    expect(res.status).to.equal(403);
    expect(JSON.parse(res.body).error.code).to.equal('forbidden');
    expect(server.handler.onIncoming.called).to.equal(false);
  });

  it('refuses a signature made with another auth token (forged)', async () => {
    server = await startWebhookServer(redis);
    const res = await postSigned(server, '/twilio/voice', callForm(newCallSid()), { token: 'someone-elses-token' });
    expect(res.status).to.equal(403);
    expect(server.handler.onIncoming.called).to.equal(false);
  });

  it('refuses a body changed after signing', async () => {
    server = await startWebhookServer(redis);
    const sid = newCallSid();
    const res = await postSigned(server, '/twilio/status', callForm(sid, { CallStatus: 'completed' }), { tamper: { From: '+6280000000000' } });
    expect(res.status).to.equal(403);
    expect(server.handler.onStatus.called).to.equal(false);
  });

  it('validates against the exact URL with its query string', async () => {
    server = await startWebhookServer(redis);
    const form = { ...callForm(newCallSid()), Digits: '1' };
    const ok = await postSigned(server, '/twilio/gather?step=menu-1', form);
    expect(ok.status).to.equal(200);
    const withoutQuery = await postSigned(server, '/twilio/gather?step=menu-1', { ...form, CallSid: newCallSid() }, { signedUrl: `${PUBLIC_URL}/twilio/gather` });
    expect(withoutQuery.status).to.equal(403);
    const otherQuery = await postSigned(server, '/twilio/gather?step=menu-1', { ...form, CallSid: newCallSid() }, { signedUrl: `${PUBLIC_URL}/twilio/gather?step=menu-2` });
    expect(otherQuery.status).to.equal(403);
    expect(server.handler.onDigit.callCount).to.equal(1);
  });

  it('accepts the host name as configured and in lower case, but not another host', async () => {
    server = await startWebhookServer(redis, { publicUrl: 'https://Siaga112.Example.GO.id' });
    const asConfigured = await postSigned(server, '/twilio/voice', callForm(newCallSid()), { signedUrl: 'https://Siaga112.Example.GO.id/twilio/voice' });
    expect(asConfigured.status).to.equal(200);
    const lowered = await postSigned(server, '/twilio/voice', callForm(newCallSid()), { signedUrl: 'https://siaga112.example.go.id/twilio/voice' });
    expect(lowered.status).to.equal(200);
    const otherHost = await postSigned(server, '/twilio/voice', callForm(newCallSid()), { signedUrl: 'https://evil.example.com/twilio/voice' });
    expect(otherHost.status).to.equal(403);
    expect(server.handler.onIncoming.callCount).to.equal(2);
  });

  it('accepts the URL with the standard port (as the twilio helpers do)', async () => {
    server = await startWebhookServer(redis);
    const res = await postSigned(server, '/twilio/voice', callForm(newCallSid()), { signedUrl: `${PUBLIC_URL}:443/twilio/voice` });
    expect(res.status).to.equal(200);
  });

  describe('without PUBLIC_URL, behind a reverse proxy', () => {
    const proxied = { 'x-forwarded-proto': 'https', 'x-forwarded-host': 'Public.Example.go.id' };

    it('ignores X-Forwarded-* when trustProxy is off', async () => {
      server = await startWebhookServer(redis, { publicUrl: undefined, trustProxy: false });
      const res = await postSigned(server, '/twilio/voice', callForm(newCallSid()), { signedUrl: 'https://Public.Example.go.id/twilio/voice', headers: proxied });
      expect(res.status).to.equal(403);
      expect(server.handler.onIncoming.called).to.equal(false);
    });

    it('validates against the forwarded protocol and host when trustProxy is on (either host case)', async () => {
      server = await startWebhookServer(redis, { publicUrl: undefined, trustProxy: true });
      const res = await postSigned(server, '/twilio/voice', callForm(newCallSid()), { signedUrl: 'https://public.example.go.id/twilio/voice', headers: proxied });
      expect(res.status).to.equal(200);
      // The TwiML's absolute URLs follow the same origin.
      expect(res.body).to.contain('https://Public.Example.go.id/twilio/gather?step=menu-1');
    });

    it('uses the Host header and socket protocol when trustProxy is off', async () => {
      server = await startWebhookServer(redis, { publicUrl: undefined, trustProxy: false });
      const host = new URL(server.baseUrl).host;
      const res = await postSigned(server, '/twilio/voice', callForm(newCallSid()), { signedUrl: `http://${host}/twilio/voice` });
      expect(res.status).to.equal(200);
    });
  });

  it('with PUBLIC_URL set, forwarded headers cannot change the URL checked', async () => {
    server = await startWebhookServer(redis, { trustProxy: true });
    const res = await postSigned(server, '/twilio/voice', callForm(newCallSid()), {
      signedUrl: 'https://attacker.example.com/twilio/voice',
      headers: { 'x-forwarded-proto': 'https', 'x-forwarded-host': 'attacker.example.com' },
    });
    expect(res.status).to.equal(403);
  });
});
