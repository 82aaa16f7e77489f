import { setPriority } from 'node:os';

/**
 * The nice value of signature-verification worker threads (the script pool
 * and the crypto VerifyPool) by default. Verification is throughput work that
 * the pool keeps queued; the chain thread and the store's commit thread are
 * the serial stages of block connection, and when they wait for a core
 * behind the workers the pipeline runs dry and the workers idle. At nice 10
 * the kernel lets them preempt the workers: in the connect bench (two cores)
 * the workers idled 4–7% of the time instead of 10–17% (docs/storage.md,
 * eighth pass). Nothing else runs at lower priority, so an idle machine gives
 * the workers every core as before.
 */
export const VERIFY_WORKER_NICE = 10;

/** A worker pool's nice option: an integer 0–19 (0 = the process's own priority), else RangeError. */
export function checkedNice(nice: number): number {
  if (!Number.isInteger(nice) || nice < 0 || nice > 19) throw new RangeError(`worker nice value must be an integer from 0 to 19, got ${nice}`);
  return nice;
}

/**
 * Lower the calling thread's scheduling priority to `nice` (a checkedNice
 * value; 0 does nothing, and raising a priority is never attempted). Only on Linux, where
 * setpriority() on "this process" applies to the calling thread alone;
 * elsewhere it would renice the whole process, so nothing is done. Returns
 * whether the priority was set.
 */
export function lowerThreadPriority(nice: number): boolean {
  if (process.platform !== 'linux' || nice <= 0) return false;
  try {
    setPriority(nice);
    return true;
  } catch {
    // A sandbox that forbids setpriority: run at the inherited priority.
    return false;
  }
}
