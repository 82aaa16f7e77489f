import { isMainThread, parentPort } from 'node:worker_threads';
import { getBackend } from '../../../src/crypto/secp256k1/index.js';
import { verifyTransactionJob } from '../../../src/consensus/script/verify.js';
import { batchResponse, unpackBatch, type BatchRequest } from '../../../src/consensus/script/wire.js';

/**
 * Test worker for pool.test.ts: the script worker's message loop, except
 * that a batch holding a job whose flags carry POISON_FLAG makes the thread
 * exit at once, as a crashed worker would. Imported on the main thread it
 * does nothing.
 */
export const POISON_FLAG = 0x40000000;

if (!isMainThread && parentPort) {
  const port = parentPort;
  const backend = getBackend('noble');
  port.on('message', (request: BatchRequest) => {
    const jobs = unpackBatch(request);
    if (jobs.some((job) => (job.flags & POISON_FLAG) !== 0)) process.exit(7);
    port.postMessage(batchResponse(request.batchId, jobs, jobs.map((job) => verifyTransactionJob(job, backend))));
  });
}
