import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { promisify } from 'node:util';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { repoRoot } from '../helpers/vectors.js';
import { freePorts, waitFor } from './harness.js';

const run = promisify(execFile);
const dir = mkdtempSync(join(tmpdir(), 'mvs-pack-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';

test('npm pack builds a package that installs into an empty directory and runs mvsd and mvs-cli', { timeout: 10 * 60_000 }, async () => {
  await run(npm, ['pack', '--pack-destination', dir, '--silent'], { cwd: repoRoot(), maxBuffer: 16 * 1024 * 1024 });
  const tarball = readdirSync(dir).find((f) => f.endsWith('.tgz'));
  assert.ok(tarball, 'a tarball was written');
  const app = join(dir, 'app');
  await run('mkdir', ['-p', app]);
  writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'pack-check', version: '1.0.0', private: true, type: 'module' }));
  await run(npm, ['install', '--no-audit', '--no-fund', '--prefer-offline', join(dir, tarball)], { cwd: app, maxBuffer: 16 * 1024 * 1024 });

  // The library API works from the installed package.
  const lib = await run(process.execPath, ['--input-type=module', '-e', "import { networks, Transaction } from 'mvs-node'; console.log(networks.mainnet.genesis.hashHex(), typeof Transaction.fromHex)"], { cwd: app });
  assert.equal(lib.stdout.trim(), 'b81848ef9ae86e84c3da26564bc6ab3a79efc628239d11471ab5cd25c0684c2d function');

  const [rpc, ws] = await freePorts(2);
  const bin = (name: string) => join(app, 'node_modules', '.bin', name);
  const node = spawn(bin('mvsd'), ['--network', 'regtest', '--datadir', join(dir, 'data'), '--rpc-bind', `127.0.0.1:${rpc}`, '--ws-bind', `127.0.0.1:${ws}`, '--port', '0', '--log-level', 'warn'], { cwd: app, stdio: 'ignore' });
  const exited = new Promise<number | null>((r) => node.once('exit', (c) => r(c)));
  try {
    const url = `http://127.0.0.1:${rpc}/rpc/v3`;
    const height = await waitFor('mvs-cli getheight', async () => (await run(bin('mvs-cli'), ['--rpc', url, 'getheight'], { cwd: app })).stdout.trim(), 60_000, 300);
    assert.equal(height, '0');
    node.kill('SIGTERM');
    assert.equal(await exited, 0);
  } finally {
    if (node.exitCode === null) node.kill('SIGKILL');
  }
});
