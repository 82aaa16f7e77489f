import { open, readFile, stat, unlink, utimes } from 'node:fs/promises';
import { hostname } from 'node:os';
import { EthashError } from './errors.js';

/**
 * An exclusive lock file, so that of several processes sharing a data
 * directory (several test files, a node and a CLI) only one generates an epoch
 * cache or DAG while the others wait and then load the result.
 *
 * The lock is `path` created with O_EXCL, holding "pid host time". The holder
 * refreshes its mtime every few seconds; a waiter removes a lock whose owner
 * process is gone (same host) or whose mtime is older than `staleMs`, so a
 * crashed holder never blocks forever.
 */
export interface FileLockOptions {
  /** Poll interval while waiting (default 100 ms). */
  pollMs?: number;
  /** A lock not refreshed for this long is stale (default 60 s). */
  staleMs?: number;
  signal?: AbortSignal;
  /** Called once if the lock is busy, before waiting. */
  onWait?: (owner: string) => void;
}

const HEARTBEAT_MS = 5_000;

export type ReleaseLock = () => Promise<void>;

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function processIsGone(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return false;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'ESRCH';
  }
}

async function isStale(path: string, staleMs: number): Promise<{ stale: boolean; owner: string }> {
  let owner = '';
  try {
    owner = (await readFile(path, 'utf8')).trim();
    const info = await stat(path);
    const [pidText, host] = owner.split(' ');
    const pid = Number(pidText);
    if (host === hostname() && Number.isInteger(pid) && pid > 0 && processIsGone(pid)) return { stale: true, owner };
    return { stale: Date.now() - info.mtimeMs > staleMs, owner };
  } catch (err) {
    // Vanished between our open and read: not stale, just retry.
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { stale: false, owner };
    throw err;
  }
}

export async function acquireFileLock(path: string, options: FileLockOptions = {}): Promise<ReleaseLock> {
  const pollMs = options.pollMs ?? 100;
  const staleMs = options.staleMs ?? 60_000;
  let reportedWait = false;
  for (;;) {
    if (options.signal?.aborted) throw new EthashError('CLOSED', `gave up waiting for lock ${path}`);
    try {
      const handle = await open(path, 'wx');
      await handle.writeFile(`${process.pid} ${hostname()} ${new Date().toISOString()}\n`);
      await handle.close();
      const heartbeat = setInterval(() => {
        const now = new Date();
        utimes(path, now, now).catch(() => undefined);
      }, HEARTBEAT_MS);
      heartbeat.unref();
      let released = false;
      return async () => {
        if (released) return;
        released = true;
        clearInterval(heartbeat);
        await unlink(path).catch(() => undefined);
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    const { stale, owner } = await isStale(path, staleMs);
    if (stale) {
      await unlink(path).catch(() => undefined);
      continue;
    }
    if (!reportedWait) {
      reportedWait = true;
      options.onWait?.(owner);
    }
    await sleep(pollMs);
  }
}
