import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Network } from '../networks/index.js';
import { Block } from '../primitives/block.js';
import { Address } from '../primitives/address.js';
import type { EventBus } from '../bus/index.js';
import type { Chain } from '../chain/chain.js';
import type { Mempool } from '../mempool/mempool.js';
import type { Ethash } from '../consensus/ethash/index.js';
import { sealHash, boundary, boundaryBytes, epochOf, seedHash } from '../consensus/ethash/index.js';
import { buildTemplate, type BlockTemplate } from './template.js';
import { logger } from '../util/logger.js';

export class MinerError extends Error {
  readonly code: 'NO_ADDRESS' | 'ALREADY_MINING' | 'BAD_ADDRESS' | 'STALE' | 'REJECTED' | 'CLOSED';
  constructor(code: MinerError['code'], message: string) {
    super(message);
    this.name = 'MinerError';
    this.code = code;
  }
}

export interface MinerOptions {
  chain: Chain;
  mempool?: Mempool;
  network: Network;
  ethash: Ethash;
  bus: EventBus;
  /** Worker threads the CPU miner uses (default: the Ethash pool's). */
  threads?: number;
  now?: () => number;
  /**
   * Above this many expected hashes per block (≈ bits) the CPU miner builds the
   * full DAG instead of hashing from the light cache (a DAG costs minutes to
   * build but hashes ~100× faster).
   */
  lightModeMaxBits?: bigint;
  /** Pause of the CPU miner after a failed round, in ms (default 1000). */
  retryDelayMs?: number;
}

interface WorkPackage {
  template: BlockTemplate;
  sealHex: string;
}

/** How many work packages (getwork templates) stay valid on one tip. */
const MAX_WORK_PACKAGES = 16;
/** A new getwork template is built when the last one is older than this and the pool changed. */
const WORK_REFRESH_SECONDS = 10;

/**
 * The built-in CPU miner and the getwork server (mvs-consensus §7; mvs-rpc
 * §2.14, §3). Templates come from buildTemplate; the nonce search runs in the
 * Ethash workers and is cancelled whenever the tip moves.
 */
export class Miner {
  private readonly chain: Chain;
  private readonly mempool?: Mempool;
  private readonly network: Network;
  private readonly ethash: Ethash;
  private readonly bus: EventBus;
  private readonly threads?: number;
  private readonly now: () => number;
  private readonly lightModeMaxBits: bigint;
  private readonly retryDelayMs: number;
  private readonly log = logger('miner');
  private address: string | null = null;
  private loop: Promise<void> | null = null;
  /** Aborted by stop(): ends the CPU miner's loop and its current search. */
  private loopStop: AbortController | null = null;
  /** Every running nonce search (the loop's and generate's); a tip change aborts them all. */
  private readonly searches = new Set<AbortController>();
  private rate = 0;
  private readonly work = new Map<string, WorkPackage>();
  private workTip: Buffer | null = null;
  private poolChanged = false;
  private closed = false;
  private readonly unsubscribe: (() => void)[] = [];

  constructor(opts: MinerOptions) {
    this.chain = opts.chain;
    this.mempool = opts.mempool;
    this.network = opts.network;
    this.ethash = opts.ethash;
    this.bus = opts.bus;
    this.threads = opts.threads;
    this.now = opts.now ?? (() => Math.floor(Date.now() / 1000));
    this.lightModeMaxBits = opts.lightModeMaxBits ?? 50_000n;
    this.retryDelayMs = opts.retryDelayMs ?? 1000;
    this.unsubscribe.push(
      this.bus.on('chain:tip', () => {
        // Any running search is for a stale parent now.
        for (const s of this.searches) s.abort();
        this.work.clear();
        this.workTip = null;
      }),
      this.bus.on('mempool:tx:added', () => {
        this.poolChanged = true;
      }),
    );
  }

  isMining(): boolean {
    return this.loop !== null;
  }

  hashRate(): number {
    return this.isMining() ? this.rate : 0;
  }

  paymentAddress(): string | null {
    return this.address;
  }

  setPaymentAddress(address: string): void {
    this.payScript(address);
    this.address = address;
    this.work.clear();
  }

  private payScript(address: string) {
    const a = Address.parse(address, this.network.address);
    if (!a) throw new MinerError('BAD_ADDRESS', `'${address}' is not a valid address on ${this.network.name}`);
    return a.toScript(this.network.address);
  }

  /** Start the CPU miner paying `address`; `blocks` = 0 mines until stopped. */
  async start(address: string, blocks: number): Promise<void> {
    if (this.closed) throw new MinerError('CLOSED', 'miner is closed');
    if (this.loop) throw new MinerError('ALREADY_MINING', 'the miner is already running');
    this.setPaymentAddress(address);
    this.log.info({ address, blocks }, 'mining started');
    const stop = new AbortController();
    this.loopStop = stop;
    this.loop = this.mineLoop(address, blocks, stop.signal).finally(() => {
      this.loop = null;
      this.loopStop = null;
      this.rate = 0;
    });
  }

  /** Stop the CPU miner; resolves once the search has ended (within a hash per worker). */
  async stop(): Promise<void> {
    this.loopStop?.abort();
    if (this.loop) await this.loop;
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.stop();
    for (const u of this.unsubscribe) u();
  }

  private async mineLoop(address: string, blocks: number, stop: AbortSignal): Promise<void> {
    let found = 0;
    while (!stop.aborted && (blocks === 0 || found < blocks)) {
      try {
        const block = await this.mineOne(address, stop);
        if (block) found++;
      } catch (err) {
        if (stop.aborted || this.closed) break;
        this.log.error({ err }, 'mining round failed');
        // Back off, but let stop() end the wait at once.
        await sleep(this.retryDelayMs, undefined, { signal: stop }).catch(() => undefined);
      }
    }
    this.log.info({ blocks: found }, 'mining stopped');
  }

  /** Mine `count` blocks right now (regtest's `generate`), returning them in order. */
  async generate(count: number, address: string): Promise<Block[]> {
    if (this.closed) throw new MinerError('CLOSED', 'miner is closed');
    const out: Block[] = [];
    this.payScript(address);
    while (out.length < count) {
      const b = await this.mineOne(address);
      if (b) out.push(b);
    }
    return out;
  }

  /**
   * One template, one search. Returns the block when the chain connected it,
   * null when the search was cancelled (tip moved, `stop` aborted) so the
   * caller retries or ends.
   */
  private async mineOne(address: string, stop?: AbortSignal): Promise<Block | null> {
    const template = buildTemplate({
      chain: this.chain,
      mempool: this.mempool,
      network: this.network,
      payTo: this.payScript(address),
      now: this.now,
      extraNonce: randomBytes(4),
    });
    const header = template.block.header;
    const epoch = epochOf(header.number);
    const mode = header.bits <= this.lightModeMaxBits ? 'light' : 'full';
    if (stop?.aborted) return null;
    const abort = new AbortController();
    const onStop = () => abort.abort();
    stop?.addEventListener('abort', onStop, { once: true });
    // Registered before the first await: a tip change from here on cancels this search.
    this.searches.add(abort);
    let result: Awaited<ReturnType<Ethash['search']>>;
    try {
      result = await this.ethash.search({
        sealHash: sealHash(header),
        boundary: boundary(header.bits),
        epoch,
        startNonce: BigInt('0x' + randomBytes(8).toString('hex')),
        signal: abort.signal,
        mode,
        threads: this.threads,
        onProgress: (p) => {
          this.rate = p.hashRate;
        },
      });
    } finally {
      this.searches.delete(abort);
      stop?.removeEventListener('abort', onStop);
    }
    if (!result.found) return null;
    this.rate = result.hashRate;
    header.nonce = result.nonce;
    header.mixHash = result.mixHash;
    header.invalidate();
    const r = await this.chain.addBlock(template.block);
    if (r.status === 'invalid') {
      // Our own template failed validation (an inconsistent pool or a bug). Retrying would mine
      // the same invalid block forever: fail the round (the loop backs off, generate reports it).
      throw new MinerError('REJECTED', `the mined block was refused: ${r.error?.code ?? 'invalid'} ${r.error?.message ?? ''}`.trim());
    }
    if (r.status !== 'connected' && r.status !== 'reorganized') {
      // A competing block won the race (stored on a side branch): try again on the new tip.
      if (r.status !== 'stored') this.log.warn({ status: r.status }, 'mined block not accepted');
      return null;
    }
    this.log.info({ height: template.height, hash: template.block.hashHex(), txs: template.txCount }, 'mined a block');
    await this.bus.emit('miner:block:found', { height: template.height, hash: template.block.hash() });
    return template.block;
  }

  // -------------------------------------------------------------- getwork

  /**
   * eth_getWork: [seal hash, seed hash, boundary], each 0x + 64 hex digits
   * (mvs-rpc §3). Several packages stay valid until the tip changes.
   */
  async getWork(): Promise<[string, string, string]> {
    if (!this.address) throw new MinerError('NO_ADDRESS', 'Use command <setminingaccount> to set mining address.');
    const tip = this.chain.tip.hash;
    if (!this.workTip || !this.workTip.equals(tip)) {
      this.work.clear();
      this.workTip = tip;
    }
    let latest: WorkPackage | undefined;
    for (const w of this.work.values()) latest = w;
    const stale = latest && this.poolChanged && this.now() - latest.template.createdAt >= WORK_REFRESH_SECONDS;
    if (!latest || stale) {
      this.poolChanged = false;
      const template = buildTemplate({
        chain: this.chain,
        mempool: this.mempool,
        network: this.network,
        payTo: this.payScript(this.address),
        now: this.now,
        extraNonce: randomBytes(4),
      });
      latest = { template, sealHex: '0x' + sealHash(template.block.header).toString('hex') };
      this.work.set(latest.sealHex, latest);
      while (this.work.size > MAX_WORK_PACKAGES) this.work.delete(this.work.keys().next().value as string);
    }
    const h = latest.template.block.header;
    return [latest.sealHex, '0x' + seedHash(epochOf(h.number)).toString('hex'), '0x' + boundaryBytes(h.bits).toString('hex')];
  }

  /**
   * eth_submitWork: the solution for a package handed out on the current tip.
   * False for an unknown/stale header hash or a solution the chain rejects.
   */
  async submitWork(nonce: bigint, headerHash: string, mixHash: Buffer): Promise<boolean> {
    const w = this.work.get(headerHash.toLowerCase());
    if (!w) return false;
    if (!w.template.prevHash.equals(this.chain.tip.hash)) return false;
    // Each attempt seals its own copy of the header: concurrent submissions for one package
    // (several GPUs) cannot overwrite each other's nonce, and a failed one leaves the package usable.
    const header = w.template.block.header.clone();
    header.nonce = nonce;
    header.mixHash = mixHash;
    header.invalidate();
    const block = new Block(header, w.template.block.txs);
    const r = await this.chain.addBlock(block);
    if (r.status === 'connected' || r.status === 'reorganized') {
      this.work.delete(w.sealHex);
      this.log.info({ height: w.template.height, hash: block.hashHex() }, 'block found through getwork');
      await this.bus.emit('miner:block:found', { height: w.template.height, hash: block.hash() });
      return true;
    }
    this.log.info({ status: r.status, code: r.error?.code, msg: r.error?.message }, 'getwork solution rejected');
    return false;
  }
}
