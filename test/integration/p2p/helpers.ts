import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { P2PNode, type P2POptions } from '../../../src/p2p/index.js';
import { Mempool } from '../../../src/mempool/mempool.js';
import { makeChain, mineEmpty, OpTrueScripts, removeDir, type TestChain } from '../../helpers/chain.js';

/** Timers shrunk so in-process multi-node tests run in seconds. */
export const FAST_P2P: Partial<P2POptions> = {
  bind: '127.0.0.1',
  port: 0,
  dialIntervalMs: 100,
  timeouts: { connectMs: 2000, handshakeMs: 3000, heartbeatMs: 60_000, inactivityMs: 120_000, expirationMs: 3600_000 },
  sync: { tickMs: 100, pollIntervalMs: 1000, headersTimeoutMs: 1500, progressIntervalMs: 500, stallTimeoutMs: 1000, blockTimeoutMs: 3000 },
};

export interface TestNode {
  tc: TestChain;
  p2p: P2PNode;
  mempool: Mempool;
  dataDir: string;
  /** "127.0.0.1:<port>" of its listener. */
  address: string;
  stop(): Promise<void>;
}

export interface TestNodeOptions {
  blocks?: number;
  p2p?: Partial<P2POptions>;
}

/** A chain (fake PoW, OP_TRUE scripts), a mempool and a P2PNode listening on 127.0.0.1. */
export async function startNode(opts: TestNodeOptions = {}): Promise<TestNode> {
  const tc = await makeChain();
  if (opts.blocks) await mineEmpty(tc, opts.blocks);
  const mempool = new Mempool({ chain: tc.chain, network: tc.network, bus: tc.bus, scripts: new OpTrueScripts() });
  const dataDir = mkdtempSync(join(tmpdir(), 'mvs-p2p-'));
  const p2p = new P2PNode({
    network: tc.network,
    chain: tc.chain,
    bus: tc.bus,
    mempool,
    dataDir,
    ...FAST_P2P,
    ...opts.p2p,
    timeouts: { ...FAST_P2P.timeouts, ...opts.p2p?.timeouts },
    sync: { ...FAST_P2P.sync, ...opts.p2p?.sync },
  });
  await p2p.start();
  let stopped = false;
  return {
    tc,
    p2p,
    mempool,
    dataDir,
    address: `127.0.0.1:${p2p.port}`,
    async stop() {
      if (stopped) return;
      stopped = true;
      await p2p.stop();
      mempool.close();
      await tc.close();
      removeDir(tc.dir);
      removeDir(dataDir);
    },
  };
}

/** Poll `condition` every 20 ms; fail with `what` after `timeoutMs`. */
export async function waitFor(condition: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
