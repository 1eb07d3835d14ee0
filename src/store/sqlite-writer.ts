import path from 'node:path';
import { Worker } from 'node:worker_threads';
import { ConflictError, NotFoundError, Siaga112Error, UnavailableError, ValidationError } from '../core/errors';

/** The CallStore methods that write (run on the writer thread). */
export const WRITE_METHODS = ['createCall', 'updateCall', 'appendEvent', 'saveOutcome', 'upsertOperator', 'createCallback', 'takeCallback', 'completeCallback'] as const;
export type WriteMethod = (typeof WRITE_METHODS)[number];

export interface WriteRequest {
  id: number;
  method: WriteMethod;
  args: unknown[];
}

export interface SerializedError {
  name: string;
  message: string;
  code?: string;
  httpStatus?: number;
  details?: Record<string, unknown>;
}

export type WriteReply = { id: number; value?: unknown; error?: undefined } | { id: number; error: SerializedError };

export function serializeError(err: unknown): SerializedError {
  if (err instanceof Siaga112Error) return { name: err.name, message: err.message, code: err.code, httpStatus: err.httpStatus, details: err.details };
  if (err instanceof Error) return { name: err.name, message: err.message };
  return { name: 'Error', message: String(err) };
}

/** The error family crosses the thread as data: rebuild the class callers test with instanceof. */
function rebuildError(e: SerializedError): Error {
  const classes: Record<string, { prototype: Siaga112Error }> = {
    ValidationError,
    NotFoundError,
    ConflictError,
    UnavailableError,
    Siaga112Error,
  };
  const cls = classes[e.name] ?? (e.code === undefined ? undefined : Siaga112Error);
  if (!cls) return Object.assign(new Error(e.message), { name: e.name });
  const err = Object.create(cls.prototype) as Siaga112Error;
  const base = new Error(e.message);
  Object.defineProperties(err, {
    message: { value: e.message, writable: true, configurable: true },
    name: { value: e.name, writable: true, configurable: true },
    stack: { value: base.stack, writable: true, configurable: true },
  });
  Object.assign(err, { code: e.code, httpStatus: e.httpStatus, details: e.details });
  return err;
}

/**
 * The main thread's side of the writer thread: forwards a write, resolves
 * with its result once the writer has committed it (on disk).
 */
export class SqliteWriter {
  private readonly worker: Worker;
  private nextId = 1;
  private readonly waiting = new Map<number, { resolve: (v: unknown) => void; reject: (e: unknown) => void }>();
  private failed?: Error;

  constructor(file: string, busyTimeoutMs?: number) {
    const entry = path.join(__dirname, `sqlite-write-worker${path.extname(__filename)}`);
    // Under tsx (development, tests) the worker needs tsx's loader too; built JavaScript does not.
    const source = entry.endsWith('.ts') ? `require(${JSON.stringify(require.resolve('tsx/cjs'))}); require(${JSON.stringify(entry)});` : `require(${JSON.stringify(entry)});`;
    this.worker = new Worker(source, { eval: true, workerData: { path: file, busyTimeoutMs } });
    this.worker.unref();
    this.worker.on('message', (reply: WriteReply) => {
      const w = this.waiting.get(reply.id);
      if (!w) return;
      this.waiting.delete(reply.id);
      if (reply.error) w.reject(rebuildError(reply.error));
      else w.resolve(reply.value);
    });
    this.worker.on('error', (err) => this.fail(new UnavailableError('store', `the call store writer stopped: ${err.message}`, { cause: err })));
    this.worker.on('exit', () => this.fail(new UnavailableError('store', 'the call store is closed')));
  }

  run<T>(method: WriteMethod, args: unknown[]): Promise<T> {
    if (this.failed) return Promise.reject(this.failed);
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      this.waiting.set(id, { resolve: resolve as (v: unknown) => void, reject });
      this.worker.postMessage({ id, method, args } satisfies WriteRequest);
    });
  }

  /** Let the writes already sent commit, then stop the thread. */
  async close(): Promise<void> {
    if (this.failed) return;
    const exited = new Promise<void>((resolve) => this.worker.once('exit', () => resolve()));
    this.worker.postMessage('close');
    await exited;
  }

  private fail(err: Error): void {
    this.failed ??= err;
    for (const w of this.waiting.values()) w.reject(err);
    this.waiting.clear();
  }
}
