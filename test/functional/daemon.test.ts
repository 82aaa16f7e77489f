import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { truncateSync } from 'node:fs';
import { join } from 'node:path';
import { TestNetwork, MVS_CLI, scaled } from './harness.js';

const run = promisify(execFile);
const net = new TestNetwork('daemon');
let failed = false;
after(async () => net.cleanup(undefined, failed));

test('mvsd regtest starts quickly, answers mvs-cli, exits 0 on SIGTERM and resumes at the same tip', async (t) => {
  try {
    const started = Date.now();
    const node = await net.addNode();
    const startup = Date.now() - started;
    t.diagnostic(`startup to first RPC answer: ${startup} ms`);
    assert.ok(startup < scaled(5000), `started in ${startup} ms (limit 5 s)`);

    const cli = async (...args: string[]) => (await run(process.execPath, [MVS_CLI, '--rpc', node.rpcUrl, ...args])).stdout.trim();
    const info = JSON.parse(await cli('getinfo'));
    assert.equal(info.height, 0);
    assert.equal(info.protocol_version, 70012);
    assert.equal(await cli('getheight'), '0');

    const hashes = await node.mine(5, 'MCCu9WmXuTooSEoMHX1aN82b7syaJD65XM');
    assert.equal(hashes.length, 5);
    assert.equal(await node.height(), 5);
    const tip = await node.tipHash();
    assert.equal(tip, hashes[4]);

    const code = await node.stop('SIGTERM');
    assert.equal(code, 0, `exit code after SIGTERM:\n${node.tail()}`);
    assert.match(node.tail(), /node stopped/);

    await node.start();
    assert.equal(await node.height(), 5);
    assert.equal(await node.tipHash(), tip);

    // A failing call exits non-zero with the code on stderr.
    await assert.rejects(run(process.execPath, [MVS_CLI, '--rpc', node.rpcUrl, 'nosuchmethod']), (err: { code: number; stderr: string }) => err.code === 1 && /1020/.test(err.stderr));

    // A chain store cut short (a copy that ran out of disk) stops the start with exit code 1 and
    // says so; lmdb-js would have died of SIGBUS mapping it.
    assert.equal(await node.stop('SIGTERM'), 0);
    truncateSync(join(node.datadir, 'regtest', 'chain', 'data.mdb'), 2 * 4096 + 1000);
    await assert.rejects(node.start(), (err: Error) => /exited with 1 before its RPC answered/.test(err.message) && /chain store at .* is damaged: data\.mdb ends at page 2/.test(err.message));
  } catch (err) {
    failed = true;
    throw err;
  }
});
