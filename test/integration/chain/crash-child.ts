/**
 * The process crash.test.ts kills: it opens the chain store at `dir` with the
 * production settings (durable commits), resumes at the stored tip and
 * connects the rest of the blocks in `file` (u32 length ‖ raw block, …),
 * `window` addBlock calls outstanding at a time. It reports `open <height>`
 * once the chain is open, `tip <height>` after each connected block and
 * `done` at the end.
 *
 *   node crash-child.js --connect <dir> <file> <window>
 *
 * Imported or run without `--connect` it does nothing.
 */
import { readFileSync } from 'node:fs';
import { Chain, type AddBlockResult } from '../../../src/chain/chain.js';
import { ChainStore } from '../../../src/chain/store.js';
import { EventBus } from '../../../src/bus/index.js';
import { regtest } from '../../../src/networks/index.js';
import { Block } from '../../../src/primitives/block.js';
import { TestPow, OpTrueScripts } from '../../helpers/chain.js';

/** Raw blocks written by writeBlockFile. */
export function readBlockFile(file: string): Block[] {
  const data = readFileSync(file);
  const out: Block[] = [];
  for (let pos = 0; pos < data.length; ) {
    const len = data.readUInt32LE(pos);
    out.push(Block.fromRaw(data.subarray(pos + 4, pos + 4 + len)));
    pos += 4 + len;
  }
  return out;
}

export function blockFileBytes(blocks: readonly Block[]): Buffer {
  return Buffer.concat(
    blocks.flatMap((b) => {
      const raw = b.toRaw();
      const len = Buffer.allocUnsafe(4);
      len.writeUInt32LE(raw.length, 0);
      return [len, raw];
    }),
  );
}

async function connect(dir: string, file: string, window: number): Promise<void> {
  const blocks = readBlockFile(file);
  const store = new ChainStore({ path: dir, network: regtest });
  const chain = new Chain({ store, network: regtest, bus: new EventBus(), pow: new TestPow(), scripts: new OpTrueScripts(), now: () => 2 ** 31 });
  await chain.open();
  process.stdout.write(`open ${chain.height}\n`);
  const outstanding: Promise<AddBlockResult>[] = [];
  const report = (r: AddBlockResult) => {
    if (r.status !== 'connected') throw new Error(`block ${r.height}: ${r.status} ${r.error?.code} ${r.error?.message}`);
    process.stdout.write(`tip ${r.height}\n`);
  };
  for (let h = chain.height + 1; h <= blocks.length; h++) {
    outstanding.push(chain.addBlock(blocks[h - 1]));
    if (outstanding.length >= window) report(await outstanding.shift()!);
  }
  for (const p of outstanding) report(await p);
  await store.close();
  process.stdout.write('done\n');
}

if (process.argv[2] === '--connect') {
  const [dir, file, window] = process.argv.slice(3);
  connect(dir, file, Number(window)).catch((err) => {
    process.stderr.write(`${(err as Error).stack ?? String(err)}\n`);
    process.exit(1);
  });
}
