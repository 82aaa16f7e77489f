/**
 * Worker side of VerifyPool: loads the backend the pool names (the main
 * thread's choice, so results never depend on which thread ran), reports
 * ready, then answers packed batches. The native addon is context-aware and
 * loads in worker threads; if it did not, getBackend throws and the pool sees
 * the worker fail at startup.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { getBackend, getSecp256k1, type BackendName } from './secp256k1/index.js';
import { verifyPacked } from './verify-batch.js';
import { lowerThreadPriority } from '../util/thread-priority.js';
import type { WorkerReply, WorkerRequest } from './verify-pool.js';

if (!parentPort) throw new Error('verify-worker must run as a worker thread');
const port = parentPort;
const init = (workerData ?? {}) as { backend?: BackendName; nice?: number };
const backend = init.backend ? getBackend(init.backend) : getSecp256k1();
lowerThreadPriority(init.nice ?? 0);

port.on('message', (request: WorkerRequest) => {
  if (request.type !== 'verify') return;
  try {
    const results = verifyPacked(backend, new Uint8Array(request.buffer), request.count);
    const reply: WorkerReply = { type: 'result', id: request.id, results };
    port.postMessage(reply, [results.buffer as ArrayBuffer]);
  } catch (err) {
    const reply: WorkerReply = { type: 'failed', id: request.id, message: err instanceof Error ? err.message : String(err) };
    port.postMessage(reply);
  }
});

const ready: WorkerReply = { type: 'ready', backend: backend.name };
port.postMessage(ready);
