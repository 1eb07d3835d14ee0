import { expect } from 'chai';
import express from 'express';
import { Redis } from 'ioredis';
import { createHttpApp } from '../../src/http/app';
import { ValidationError } from '../../src/core/errors';
import { silentLogger } from '../../src/core/logger';
import { listen } from '../support/http';
import { PrivateRedis } from '../support/redis';

describe('HTTP skeleton', () => {
  let redisServer: PrivateRedis;
  let redis: Redis;
  let storeUp = true;
  let base: Awaited<ReturnType<typeof listen>>;

  before(async () => {
    redisServer = await new PrivateRedis().start();
    redis = new Redis(redisServer.url, { maxRetriesPerRequest: 0, enableOfflineQueue: false, retryStrategy: () => 100 });
    const api = express.Router();
    api.post('/api/echo', express.json(), (req, res) => {
      if (typeof req.body?.name !== 'string') throw new ValidationError('name is required', [{ field: 'name', message: 'expected a string' }]);
      res.json({ name: req.body.name });
    });
    api.get('/api/boom', () => {
      throw new Error('secret internal detail');
    });
    const app = createHttpApp({
      logger: silentLogger(),
      trustProxy: false,
      routers: [api],
      readiness: [
        { name: 'redis', check: async () => void (await redis.ping()) },
        { name: 'store', check: async () => { if (!storeUp) throw new Error('database file is locked'); } },
      ],
    });
    base = await listen(app);
  });

  after(async () => {
    await base.close();
    redis.disconnect();
    await redisServer.destroy();
  });

  it('GET /healthz answers 200 while the process lives', async () => {
    const res = await fetch(`${base.url}/healthz`);
    expect(res.status).to.equal(200);
    expect(((await res.json()) as { status: string }).status).to.equal('ok');
  });

  it('GET /readyz is 200 when Redis and the store answer', async () => {
    const res = await fetch(`${base.url}/readyz`);
    expect(res.status).to.equal(200);
    expect(await res.json()).to.deep.equal({ status: 'ready', checks: { redis: 'ok', store: 'ok' } });
  });

  it('GET /readyz is 503 with the reason when the store fails', async () => {
    storeUp = false;
    try {
      const res = await fetch(`${base.url}/readyz`);
      expect(res.status).to.equal(503);
      const body = (await res.json()) as { error: { code: string; message: string } };
      expect(body.error.code).to.equal('unavailable');
      expect(body.error.message).to.contain('store: database file is locked');
    } finally {
      storeUp = true;
    }
  });

  it('GET /readyz is 503 naming redis when Redis is stopped, and 200 again after restart', async () => {
    await redisServer.stop();
    const down = await fetch(`${base.url}/readyz`);
    expect(down.status).to.equal(503);
    expect(((await down.json()) as { error: { message: string } }).error.message).to.match(/redis:/);
    await redisServer.start();
    for (let i = 0; i < 50; i++) {
      if ((await fetch(`${base.url}/readyz`)).status === 200) return;
      await new Promise((r) => setTimeout(r, 100));
    }
    expect.fail('readyz did not recover after Redis came back');
  });

  it('renders every error in the one JSON shape', async () => {
    const notFound = await fetch(`${base.url}/nope`);
    expect(notFound.status).to.equal(404);
    expect(((await notFound.json()) as { error: { code: string } }).error.code).to.equal('not_found');

    const bad = await fetch(`${base.url}/api/echo`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    expect(bad.status).to.equal(400);
    const badBody = (await bad.json()) as { error: { code: string; details: { issues: { field: string }[] } } };
    expect(badBody.error.code).to.equal('validation_failed');
    expect(badBody.error.details.issues[0]!.field).to.equal('name');

    const malformed = await fetch(`${base.url}/api/echo`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{not json' });
    expect(malformed.status).to.equal(400);
    expect(((await malformed.json()) as { error: { code: string } }).error.code).to.equal('validation_failed');

    const boom = await fetch(`${base.url}/api/boom`);
    expect(boom.status).to.equal(500);
    const boomText = await boom.text();
    expect(boomText).to.not.contain('secret internal detail');
    expect(JSON.parse(boomText).error.code).to.equal('internal');
  });
});
