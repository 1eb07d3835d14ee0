import { Job, Queue, Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import type { CategoryId, LanguageId } from '../domain/types';

/** One waiting call: the data of its BullMQ job. */
export interface WaitingCall {
  callId: string;
  category: CategoryId;
  /** 1 = most urgent; from the category. Lower numbers are served first. */
  priority: number;
  language: LanguageId;
  callerNumber: string;
  /** Epoch ms when it joined the queue. */
  queuedAt: number;
  /** How many operators it has been offered to so far. */
  attempts: number;
}

/** BullMQ's highest allowed priority number. */
export const MAX_PRIORITY = 2_097_151;

/** The lock token for fetched calls: '0' = BullMQ takes no lock (see fetch). */
const NO_LOCK = '0';

/**
 * The call queue on BullMQ: one job per waiting call, every job with an
 * explicit priority (BullMQ serves unprioritised jobs before all others).
 *
 * Jobs are fetched by hand, without BullMQ's lock (token '0'): nothing would
 * renew a lock for a hand-fetched job, and the offer's lease in Redis
 * (operator pool) is what decides when a call goes back. No stalled-job
 * checker runs (no `Worker.run()`), so an active job stays where it is until
 * the dispatcher completes it, puts it back or removes it.
 */
export class CallQueue {
  readonly queue: Queue;
  private readonly worker: Worker;

  constructor(connection: Redis, readonly name: string, prefix: string) {
    this.queue = new Queue(name, { connection, prefix });
    this.worker = new Worker(name, null, { connection, prefix, autorun: false, skipStalledCheck: true, skipLockRenewal: true });
    // A Worker emits connection errors; ioredis reconnects by itself.
    this.worker.on('error', () => undefined);
    this.queue.on('error', () => undefined);
  }

  /** Job ids sort by arrival, so two calls put back together keep their order. */
  static jobId(call: Pick<WaitingCall, 'callId' | 'queuedAt'>): string {
    return `${String(call.queuedAt).padStart(15, '0')}-${call.callId}`;
  }

  async add(call: WaitingCall): Promise<string> {
    const jobId = CallQueue.jobId(call);
    await this.queue.add('call', call, {
      jobId,
      priority: call.priority,
      removeOnComplete: { age: 3600, count: 10_000 },
      removeOnFail: { age: 24 * 3600 },
    });
    return jobId;
  }

  /** The highest-priority, longest-waiting call, moved to active; undefined when none waits. */
  async fetch(): Promise<Job<WaitingCall> | undefined> {
    return (await this.worker.getNextJob(NO_LOCK, { block: false })) as Job<WaitingCall> | undefined;
  }

  /**
   * Back to waiting with its place: BullMQ puts a prioritised job back at the
   * front of its priority (score priority·2³², ahead of every later arrival).
   * A job that is not active is left alone.
   */
  async putBack(job: Job<WaitingCall> | string): Promise<void> {
    const j = typeof job === 'string' ? await Job.fromId<WaitingCall>(this.queue, job) : job;
    if (!j) return;
    await j.moveToWait(NO_LOCK);
  }

  async complete(job: Job<WaitingCall> | string, operatorId: string): Promise<void> {
    const j = typeof job === 'string' ? await Job.fromId<WaitingCall>(this.queue, job) : job;
    if (!j) return;
    await j.moveToCompleted(operatorId, NO_LOCK, false);
  }

  async remove(jobId: string): Promise<boolean> {
    return (await this.queue.remove(jobId)) === 1;
  }

  async waitingCount(): Promise<number> {
    return this.queue.getJobCountByTypes('wait', 'prioritized');
  }

  /** Waiting calls in the order they will be offered. */
  async waiting(limit = 1000): Promise<WaitingCall[]> {
    const jobs = [...(await this.queue.getJobs(['wait'], 0, limit - 1, false)), ...(await this.queue.getJobs(['prioritized'], 0, limit - 1, true))];
    return jobs.filter((j): j is Job<WaitingCall> => !!j).map((j) => j.data);
  }

  async close(): Promise<void> {
    await this.worker.close();
    await this.queue.close();
  }
}
