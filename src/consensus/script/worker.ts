import { isMainThread, parentPort, workerData } from 'node:worker_threads';
import { getBackend, getSecp256k1 } from '../../crypto/secp256k1/index.js';
import { verifyTransactionJob } from './verify.js';
import { lowerThreadPriority } from '../../util/thread-priority.js';
import { batchResponse, unpackBatch, type BatchRequest, type BatchResponse, type WorkerInit } from './wire.js';

/**
 * Script-verification worker (one per pool thread; see pool.ts). Each
 * message is one batch of transactions; the reply carries one verdict per
 * input, in order. Imported on the main thread it does nothing.
 */
if (!isMainThread && parentPort) {
  const port = parentPort;
  const init = (workerData ?? {}) as WorkerInit;
  const backend = init.backend ? getBackend(init.backend) : getSecp256k1();
  lowerThreadPriority(init.nice ?? 0);
  port.on('message', (request: BatchRequest) => {
    let response: BatchResponse;
    try {
      const jobs = unpackBatch(request);
      response = batchResponse(request.batchId, jobs, jobs.map((job) => verifyTransactionJob(job, backend)));
    } catch (e) {
      // Verification itself never throws; this guards malformed messages.
      response = { batchId: request.batchId, error: e instanceof Error ? e.message : String(e) };
    }
    port.postMessage(response);
  });
}
