import { parentPort, workerData } from 'node:worker_threads';
import { SqliteCallStore } from './sqlite-call-store';
import { WRITE_METHODS, serializeError, type WriteMethod, type WriteReply, type WriteRequest } from './sqlite-writer';

/**
 * The call store's writer thread: its own connection to the same file,
 * running the writes the main thread forwards. The store's group commit
 * batches every request that arrived in one turn of this thread's loop, so
 * the fsyncs never block the service's event loop.
 */
const { path, busyTimeoutMs } = workerData as { path: string; busyTimeoutMs?: number };
// The main thread has migrated the file already: this finds nothing to apply.
const store = SqliteCallStore.open({ path, busyTimeoutMs });
const port = parentPort!;

port.on('message', (req: WriteRequest | 'close') => {
  if (req === 'close') {
    void store.close().then(() => port.close());
    return;
  }
  if (!(WRITE_METHODS as readonly string[]).includes(req.method)) {
    port.postMessage({ id: req.id, error: serializeError(new Error(`not a write: ${req.method}`)) } satisfies WriteReply);
    return;
  }
  const method = store[req.method as WriteMethod] as (...args: unknown[]) => Promise<unknown>;
  method.apply(store, req.args).then(
    (value) => port.postMessage({ id: req.id, value } satisfies WriteReply),
    (err: unknown) => port.postMessage({ id: req.id, error: serializeError(err) } satisfies WriteReply),
  );
});
