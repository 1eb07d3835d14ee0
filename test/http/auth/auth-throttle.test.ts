import { expect } from 'chai';
import { Redis } from 'ioredis';
import { LoginThrottle } from '../../../src/http/auth';
import { testRedisUrl } from '../../support/redis';
import { AuthTestApp, PASSWORDS } from './auth-test-app';

const WINDOW = 15 * 60_000;

describe('HTTP auth: login throttling', () => {
  let t: AuthTestApp;
  beforeEach(async () => (t = await AuthTestApp.start({ throttle: { perUser: { max: 5, windowMs: WINDOW }, perIp: { max: 8, windowMs: WINDOW } } })));
  afterEach(async () => t.stop());

  const attempt = (username: string, password: string, ip: string) => t.request('POST', '/api/auth/login', { body: { username, password }, ip });
  const fail = async (username: string, ip: string, times: number) => {
    for (let i = 0; i < times; i++) expect((await attempt(username, 'wrong-password', ip)).status, `failure ${i + 1}`).to.equal(401);
  };

  it('after 5 failures the username gets 429 with Retry-After, even with the right password and from another address', async () => {
    await fail('op1', '10.1.1.1', 5);
    const blocked = await attempt('op1', PASSWORDS.op1, '10.1.1.1');
    expect(blocked.status).to.equal(429);
    expect(blocked.body.error?.code).to.equal('too_many_requests');
    expect(Number(blocked.headers.get('retry-after'))).to.equal(WINDOW / 1000);
    expect(blocked.setCookies).to.deep.equal([]);
    expect((await attempt('op1', PASSWORDS.op1, '10.2.2.2')).status, 'per user, any address').to.equal(429);
    expect((await attempt('sup', PASSWORDS.sup, '10.1.1.1')).status, 'another user from the same address').to.equal(200);
  });

  it('after the per-address limit every username from that address gets 429, other addresses do not', async () => {
    for (const name of ['a1', 'a2', 'a3', 'a4']) await fail(name, '10.3.3.3', 2);
    const blocked = await attempt('sup', PASSWORDS.sup, '10.3.3.3');
    expect(blocked.status).to.equal(429);
    expect(Number(blocked.headers.get('retry-after'))).to.be.within(1, WINDOW / 1000);
    expect((await attempt('sup', PASSWORDS.sup, '10.4.4.4')).status).to.equal(200);
  });

  it('a success resets the username count', async () => {
    await fail('op1', '10.5.5.5', 4);
    await t.login('op1', PASSWORDS.op1, '10.5.5.5');
    await fail('op1', '10.6.6.6', 4);
    expect((await attempt('op1', PASSWORDS.op1, '10.6.6.6')).status).to.equal(200);
  });

  it('lets the user in again once the failures leave the window (clock time)', async () => {
    await fail('op1', '10.7.7.7', 3);
    t.clock.advance(5 * 60_000);
    await fail('op1', '10.7.7.7', 2);
    expect((await attempt('op1', PASSWORDS.op1, '10.7.7.7')).status).to.equal(429);
    t.clock.advance(WINDOW - 5 * 60_000);
    // The first three failures are out of the window; the last two are not.
    const reply = await attempt('op1', PASSWORDS.op1, '10.7.7.7');
    expect(reply.status).to.equal(200);
  });

  it('the Retry-After shrinks as time passes', async () => {
    await fail('op1', '10.8.8.8', 5);
    t.clock.advance(10 * 60_000);
    const blocked = await attempt('op1', PASSWORDS.op1, '10.8.8.8');
    expect(blocked.status).to.equal(429);
    expect(Number(blocked.headers.get('retry-after'))).to.equal(5 * 60);
  });

  it('does not count malformed requests or throttled attempts as failures', async () => {
    for (let i = 0; i < 6; i++) expect((await t.request('POST', '/api/auth/login', { body: { username: 'op1' }, ip: '10.9.9.9' })).status).to.equal(400);
    await fail('op1', '10.9.9.9', 5);
    for (let i = 0; i < 3; i++) expect((await attempt('op1', 'wrong-password', '10.9.9.9')).status).to.equal(429);
    t.clock.advance(WINDOW);
    expect((await attempt('op1', PASSWORDS.op1, '10.9.9.9')).status).to.equal(200);
  });

  it('keeps its counts in Redis, shared by every instance', async () => {
    await fail('op1', '10.10.10.10', 5);
    expect(await t.redis.zcard('siaga112:login-failures:user:op1')).to.equal(5);
    expect(await t.redis.pttl('siaga112:login-failures:user:op1')).to.be.within(1, WINDOW);
    // Another instance: its own connection and throttle object, the same Redis.
    const otherConnection = new Redis(testRedisUrl());
    try {
      const other = new LoginThrottle(otherConnection, t.clock);
      expect(await other.retryAfterSeconds('op1', '10.99.99.99')).to.equal(WINDOW / 1000);
      expect(await other.retryAfterSeconds('sup', '10.99.99.99')).to.equal(0);
    } finally {
      otherConnection.disconnect();
    }
  });
});
