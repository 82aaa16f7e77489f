/**
 * A token bucket: `burst` tokens at most, refilled at `ratePerSecond`. Used
 * per peer for message counts (a flood is a ban), pings (ping flood) and
 * received bytes (throttled by pausing the socket, never punished).
 */
export class TokenBucket {
  private tokens: number;
  private last: number;

  constructor(
    readonly ratePerSecond: number,
    readonly burst: number,
    private readonly now: () => number = Date.now,
  ) {
    if (!(ratePerSecond > 0) || !(burst > 0)) throw new RangeError('token bucket rate and burst must be positive');
    this.tokens = burst;
    this.last = now();
  }

  private refill(): void {
    const t = this.now();
    if (t > this.last) {
      this.tokens = Math.min(this.burst, this.tokens + ((t - this.last) / 1000) * this.ratePerSecond);
      this.last = t;
    }
  }

  /** Tokens available now. */
  available(): number {
    this.refill();
    return this.tokens;
  }

  /** Take `n` tokens if there are that many; false (and nothing taken) otherwise. */
  tryTake(n = 1): boolean {
    this.refill();
    if (this.tokens < n) return false;
    this.tokens -= n;
    return true;
  }

  /** Take `n` tokens even if that leaves a debt (bytes already received must be accounted). */
  take(n: number): void {
    this.refill();
    this.tokens -= n;
  }

  /** Milliseconds until the bucket is back to at least `n` tokens (0 when it already is). */
  msUntil(n = 1): number {
    this.refill();
    const missing = Math.min(n, this.burst) - this.tokens;
    return missing <= 0 ? 0 : Math.ceil((missing / this.ratePerSecond) * 1000);
  }
}
