import { isMainThread, parentPort, workerData } from 'node:worker_threads';
import { open, type Database } from 'lmdb';
import { TABLES, type TableName } from './layout.js';

/**
 * The chain store's commit thread (docs/storage.md, "Write-behind commits"):
 * it opens the store's LMDB environment — lmdb-js shares one environment
 * between the threads of a process — and applies each prepared block write
 * it receives as ONE write transaction with the store's durability setting,
 * replying once it is committed. The chain thread goes on validating the
 * next blocks meanwhile, instead of waiting for page writes and fsync.
 * Writes arrive and commit in order.
 *
 * A write travels as its StoreWrite buffer, transferred: a sequence of
 *   u8 table index (TABLES) ‖ u32 key length ‖ key ‖ i32 value length (−1: remove) ‖ value
 * Imported anywhere but the commit thread this module only exports applyOps.
 */

/** workerData.role of the commit thread: the thread body runs only there (see below). */
export const WRITER_ROLE = 'mvs-chain-store-writer';

export interface WriterInit {
  role: typeof WRITER_ROLE;
  path: string;
  noSync: boolean;
  maxDbs: number;
}

export type WriterRequest = { id: number; buffer: ArrayBuffer; length: number } | { close: true };
export type WriterReply = { id: number; ok: true } | { id: number; ok: false; error: string } | { ready: true } | { closed: true };

/** What applyOps writes to: a table's database (or a recorder, in tests). */
export interface OpTarget {
  putSync(key: Buffer, value: Buffer): unknown;
  removeSync(key: Buffer): unknown;
}

/**
 * Apply the operations in the first `length` bytes of a write buffer
 * (StoreWrite) to `dbs`, by table index, inside the caller's write
 * transaction. Keys and values are views into the buffer. This loop is the
 * commit thread's hot path: no per-operation objects beyond the two views.
 */
export function applyOps(buffer: ArrayBuffer, length: number, dbs: readonly OpTarget[]): void {
  const view = new DataView(buffer);
  for (let pos = 0; pos < length; ) {
    const db = dbs[view.getUint8(pos)];
    const keyLength = view.getUint32(pos + 1, true);
    const key = Buffer.from(buffer, pos + 5, keyLength);
    pos += 5 + keyLength;
    const valueLength = view.getInt32(pos, true);
    pos += 4;
    if (valueLength < 0) {
      db.removeSync(key);
    } else {
      db.putSync(key, Buffer.from(buffer, pos, valueLength));
      pos += valueLength;
    }
  }
}

// Only in the store's own commit thread: store.ts imports this module for applyOps, so every
// worker thread that loads the chain store (the RPC bench's client thread, say) loads it too, and
// would otherwise open the environment with no init and die.
if (!isMainThread && parentPort && (workerData as Partial<WriterInit> | null)?.role === WRITER_ROLE) {
  const port = parentPort;
  const init = workerData as WriterInit;
  const env = open({ path: init.path, maxDbs: init.maxDbs, noSync: init.noSync, encoding: 'binary', keyEncoding: 'binary' });
  const dbs: Database<Buffer, Buffer>[] = TABLES.map((t: TableName) => env.openDB<Buffer, Buffer>(t, { encoding: 'binary', keyEncoding: 'binary' }));
  // Writes queued behind a failed one were prepared on top of it (block k+1 on block k): applying
  // them would store a state no chain had — a tip whose parent's changes are missing. After a
  // failure every later write is refused; the chain treats a failed commit as fatal (chain:fatal:
  // the node stops) and the store keeps its last committed tip.
  let failed: string | null = null;
  port.on('message', (request: WriterRequest) => {
    if ('close' in request) {
      // Release this thread's hold on the shared environment before the thread goes.
      void env.close().finally(() => port.postMessage({ closed: true } satisfies WriterReply));
      return;
    }
    let reply: WriterReply;
    if (failed !== null) {
      reply = { id: request.id, ok: false, error: `not applied: an earlier commit failed (${failed})` };
    } else {
      try {
        env.transactionSync(() => applyOps(request.buffer, request.length, dbs));
        reply = { id: request.id, ok: true };
      } catch (err) {
        failed = err instanceof Error ? err.message : String(err);
        reply = { id: request.id, ok: false, error: failed };
      }
    }
    port.postMessage(reply);
  });
  port.postMessage({ ready: true } satisfies WriterReply);
}
