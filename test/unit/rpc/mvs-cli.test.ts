import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { RpcServer } from '../../../src/rpc/server.js';
import { testRegistry } from './helpers.js';

// The compiled script, next to this compiled test: <out>/test/unit/rpc → <out>/src/cli.
const CLI = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'src', 'cli', 'mvs-cli.js');

function run(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [CLI, ...args], { timeout: 20_000 }, (err, stdout, stderr) => {
      // On a non-zero exit, execFile's error carries the exit status as `code`.
      const status = (err as { code?: unknown } | null)?.code;
      const code = err ? (typeof status === 'number' ? status : 1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

test('mvs-cli posts a v3 request with the arguments as strings and prints the result', { timeout: 60_000 }, async () => {
  const rpcServer = new RpcServer({ registry: testRegistry(), context: { calls: 0 }, port: 0 });
  const seen: Array<{ path: string; body: string }> = [];
  const front = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', async () => {
      const body = Buffer.concat(chunks).toString();
      seen.push({ path: req.url ?? '', body });
      res.end(await rpcServer.handleBody(3, body));
    });
  });
  await new Promise<void>((r) => front.listen(0, '127.0.0.1', () => r()));
  const url = `http://127.0.0.1:${(front.address() as AddressInfo).port}/rpc/v3`;
  try {
    const echo = await run(['--rpc', url, 'echo', 'w', '7', '-f', '20000', '-x', '--item=a']);
    assert.equal(echo.code, 0, echo.stderr);
    assert.deepEqual(JSON.parse(seen[0].body), { jsonrpc: '2.0', id: 1, method: 'echo', params: ['w', '7', '-f', '20000', '-x', '--item=a'] });
    assert.equal(seen[0].path, '/rpc/v3');
    assert.deepEqual(JSON.parse(echo.stdout), { word: 'w', count: 7, fee: 20000, flag: true, item: ['a'], version: 3, calledAs: 'echo' });

    const max = await run(['--rpc', url, 'max']);
    assert.equal(max.stdout, '18446744073709551615\n', 'uint64 printed exactly');
    const text = await run(['--rpc', url, 'text']);
    assert.equal(text.stdout, 'hello world\n');
    const usage = await run(['--rpc', url, 'echo', '-h']);
    assert.match(usage.stdout, /^Usage: mvs-cli echo/);
    const help = await run(['--rpc', url, 'help']);
    assert.equal(help.code, 0);
    assert.match(help.stdout, /Info: The commands are:/);
    assert.match(help.stdout, /\necho\s+Return the parsed arguments/);

    const unknown = await run(['--rpc', url, 'nope']);
    assert.equal(unknown.code, 1);
    assert.equal(unknown.stderr, "error 1020: 'nope' is not a command. Enter 'help' for a list of commands.\n");
    const bad = await run(['--rpc', url, 'add', '1']);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /^error 1021: the option '--B' is required but missing/);
  } finally {
    front.close();
    await rpcServer.close();
  }
});

test('mvs-cli: connection refused exits 2 with a clear message; usage errors exit 64', { timeout: 60_000 }, async () => {
  // A port that was just free: bind, read it, close.
  const probe = http.createServer();
  await new Promise<void>((r) => probe.listen(0, '127.0.0.1', () => r()));
  const port = (probe.address() as AddressInfo).port;
  await new Promise<void>((r) => probe.close(() => r()));
  const refused = await run(['--rpc', `http://127.0.0.1:${port}/rpc/v3`, 'getinfo']);
  assert.equal(refused.code, 2);
  assert.match(refused.stderr, /cannot connect to http:\/\/127\.0\.0\.1:\d+\/rpc\/v3: connection refused/);
  const none = await run([]);
  assert.equal(none.code, 64);
  assert.match(none.stderr, /missing required argument 'method'/);
  const badUrl = await run(['--rpc', 'not a url', 'getinfo']);
  assert.equal(badUrl.code, 64);
});
