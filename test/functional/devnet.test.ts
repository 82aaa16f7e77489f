import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MVSD, MVS_CLI, freePorts, waitFor, scaled } from './harness.js';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);
const root = mkdtempSync(join(tmpdir(), 'mvs-devnet-'));
after(() => rmSync(root, { recursive: true, force: true }));

/** A base port with base, base+1, base+10, base+11, base+20, base+21 free. */
async function rpcBase(): Promise<number> {
  for (let i = 0; i < 50; i++) {
    const base = 20000 + Math.floor(Math.random() * 30000);
    const wanted = [0, 1, 10, 11, 20, 21].map((d) => base + d);
    const { createServer } = await import('node:net');
    const ok = await Promise.all(
      wanted.map((port) => new Promise<boolean>((r) => {
        const s = createServer();
        s.once('error', () => r(false));
        s.listen(port, '127.0.0.1', () => s.close(() => r(true)));
      })),
    );
    if (ok.every(Boolean)) return base;
  }
  throw new Error('no free port range');
}

test('mvsd devnet: three nodes at the same growing height within 60 s; Ctrl-C stops them all', { timeout: 5 * 60_000 }, async () => {
  const base = await rpcBase();
  const [p2p] = await freePorts(1);
  const proc = spawn(process.execPath, [MVSD, 'devnet', '--datadir', root, '--reset', '--block-interval', '1', '--rpc-port', String(base), '--p2p-port', String(p2p), '--log-level', 'warn'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  proc.stdout.on('data', (d) => (out += d));
  proc.stderr.on('data', (d) => (out += d));
  const exited = new Promise<number | null>((r) => proc.once('exit', (c) => r(c)));
  try {
    const start = Date.now();
    await waitFor('the devnet banner', () => out.includes('Ctrl-C stops all nodes'), 60_000);
    assert.match(out, new RegExp(`node1  rpc http://127\\.0\\.0\\.1:${base}/rpc/v3`));
    assert.match(out, /account "alice"  password "devnet-password"  address M/);
    const urls = [0, 10, 20].map((d) => `http://127.0.0.1:${base + d}/rpc/v3`);
    const heightOf = async (u: string) => Number((await run(process.execPath, [MVS_CLI, '--rpc', u, 'getheight'])).stdout.trim());
    let first = 0;
    await waitFor('three nodes at the same height', async () => {
      const hs = await Promise.all(urls.map(heightOf));
      if (hs.every((h) => h === hs[0]) && hs[0] > 0) {
        first = hs[0];
        return true;
      }
      return false;
    }, 60_000, 300);
    assert.ok(Date.now() - start < scaled(60_000) + 5000, 'within 60 s');
    await waitFor('the height keeps growing', async () => (await heightOf(urls[2])) > first, 30_000, 300);
    // Each account is funded.
    const info = JSON.parse((await run(process.execPath, [MVS_CLI, '--rpc', urls[1], 'getbalance', 'bob', 'devnet-password'])).stdout);
    assert.ok(Number(info.total_received) > 0, 'bob was paid coinbases');
    proc.kill('SIGINT');
    assert.equal(await exited, 0, out);
    assert.match(out, /all nodes stopped/);
  } finally {
    if (proc.exitCode === null) proc.kill('SIGKILL');
  }
});
