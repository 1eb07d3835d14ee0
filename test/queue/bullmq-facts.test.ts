import { expect } from 'chai';
import { Queue, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { freshRedis, testRedisUrl } from '../support/redis';
import { sleep } from './dispatch-harness';

/** The BullMQ 6.7 behaviour the call queue relies on, checked against real Redis. */
describe('queue: BullMQ facts the dispatcher relies on', () => {
  let redis: Redis;
  let queue: Queue;
  let worker: Worker;

  beforeEach(async () => {
    redis = await freshRedis();
    const connection = new Redis(testRedisUrl(), { maxRetriesPerRequest: null });
    queue = new Queue('facts', { connection });
    worker = new Worker('facts', null, { connection, autorun: false, skipStalledCheck: true, lockDuration: 300 });
  });
  afterEach(async () => {
    await worker.close();
    await queue.close();
    redis.disconnect();
  });

  it('serves jobs without a priority before all prioritised ones, lower numbers first, FIFO within one', async () => {
    await queue.add('x', {}, { jobId: 'p2a', priority: 2 });
    await queue.add('x', {}, { jobId: 'p1a', priority: 1 });
    await queue.add('x', {}, { jobId: 'none' });
    await queue.add('x', {}, { jobId: 'p1b', priority: 1 });
    const order: string[] = [];
    for (let i = 0; i < 4; i++) order.push((await worker.getNextJob('t', { block: false }))?.id ?? '');
    expect(order).to.deep.equal(['none', 'p1a', 'p1b', 'p2a']);
  });

  it('moveToWait puts a fetched job back ahead of later jobs of its priority', async () => {
    await queue.add('x', {}, { jobId: 'first', priority: 1 });
    await queue.add('x', {}, { jobId: 'second', priority: 1 });
    const job = await worker.getNextJob('tok', { block: false });
    await queue.add('x', {}, { jobId: 'third', priority: 1 });
    await job?.moveToWait('tok');
    expect((await queue.getJobs(['prioritized'], 0, -1, true)).map((j) => j.id)).to.deep.equal(['first', 'second', 'third']);
  });

  it('a hand-fetched job keeps its lock only until lockDuration unless extended; token "0" takes no lock', async () => {
    await queue.add('x', {}, { jobId: 'a', priority: 1 });
    await queue.add('x', {}, { jobId: 'b', priority: 1 });
    const a = await worker.getNextJob('tok', { block: false });
    expect(await redis.get('bull:facts:a:lock')).to.equal('tok');
    await sleep(400);
    expect(await redis.get('bull:facts:a:lock')).to.equal(null); // nothing renewed it
    await a?.moveToWait('tok').then(
      () => expect.fail('moveToWait with an expired lock must fail'),
      (err: Error) => expect(err.message).to.match(/lock/i),
    );
    const b = await worker.getNextJob('0', { block: false });
    expect(b?.id).to.equal('b');
    expect(await redis.exists('bull:facts:b:lock')).to.equal(0);
    await b?.moveToWait('0');
    expect(await queue.getJobCountByTypes('prioritized')).to.equal(1);
  });
});
