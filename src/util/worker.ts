import type { Worker } from 'node:worker_threads';

/**
 * `worker.terminate()` that keeps the event loop alive until the thread's
 * 'exit' arrives. On Node 20 the loop can run dry between the stop request
 * and the exit notification when the thread is stopped while it is still
 * starting — even a ref'd one with a job in flight — and the process then
 * ends with the terminate promise pending (exit code 13 at top level, "Promise
 * resolution is still pending but the event loop has already resolved" under
 * node:test). Seen as ~1 in 3 runs of an Ethash engine created and closed
 * straight away (docs/crypto.md, "Worker shutdown").
 */
export async function terminateWorker(worker: Worker): Promise<void> {
  const keepAlive = setInterval(() => undefined, 60_000);
  try {
    await worker.terminate();
  } finally {
    clearInterval(keepAlive);
  }
}
