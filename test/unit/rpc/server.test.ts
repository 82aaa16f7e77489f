import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import net from 'node:net';
import { RpcServer, apiVersionOfPath, readRequestId } from '../../../src/rpc/server.js';
import { RpcError } from '../../../src/rpc/errors.js';
import { rpc, request, testRegistry, type TestContext } from './helpers.js';

async function withServer(fn: (port: number, server: RpcServer<TestContext>, ctx: TestContext) => Promise<void>, options: Partial<ConstructorParameters<typeof RpcServer<TestContext>>[0]> = {}) {
  const ctx: TestContext = { calls: 0 };
  const server = new RpcServer<TestContext>({ registry: testRegistry(), context: ctx, host: '127.0.0.1', port: 0, ...options });
  const { port } = await server.listen();
  try {
    await fn(port, server, ctx);
  } finally {
    await server.close();
  }
}

const V3 = (method: string, params?: unknown, extra: Record<string, unknown> = {}) => ({ jsonrpc: '2.0', id: 7, method, ...(params === undefined ? {} : { params }), ...extra });

test('API version comes from the path only (§1.2)', () => {
  assert.equal(apiVersionOfPath('/rpc/v3'), 3);
  assert.equal(apiVersionOfPath('/RPC/V3'), 3);
  assert.equal(apiVersionOfPath('/rpc/v3/'), 3);
  assert.equal(apiVersionOfPath('/rpc/v2'), 2);
  assert.equal(apiVersionOfPath('/rpc'), 1);
  assert.equal(apiVersionOfPath('/rpc/'), 1);
  assert.equal(apiVersionOfPath('/rpc/v1'), 1);
  assert.equal(apiVersionOfPath('/rpc/anything'), 1);
  assert.equal(apiVersionOfPath('/rpc/v3abc'), 3);
  assert.equal(apiVersionOfPath('/rpc/v0'), 1);
  assert.equal(apiVersionOfPath('/rpc/v4'), null);
  assert.equal(apiVersionOfPath('/rpc/v99999999999999999999'), null);
  assert.equal(apiVersionOfPath('/rpcx'), null);
  assert.equal(apiVersionOfPath('/'), null);
  assert.equal(apiVersionOfPath('/index.html'), null);
});

test('request ids as mvsd reads them: stol for strings, asInt64 otherwise', () => {
  assert.equal(readRequestId(undefined), 0);
  assert.equal(readRequestId(null), 0);
  assert.equal(readRequestId(5), 5);
  assert.equal(readRequestId('12'), 12);
  assert.equal(readRequestId('  -3xyz'), -3);
  assert.equal(readRequestId(1.9), 1);
  assert.equal(readRequestId(true), 1);
  assert.equal(readRequestId(9223372036854775807n), 9223372036854775807n);
  const code = (v: unknown, message: string) =>
    assert.throws(() => readRequestId(v as never), (e: unknown) => e instanceof RpcError && e.code === 1000 && e.message === message);
  code('abc', 'stol');
  code('99999999999999999999', 'stol');
  code(18446744073709551615n, 'LargestUInt out of Int64 range');
  code(1e300, 'double out of Int64 range');
  code([], 'Value is not convertible to Int64.');
  code({}, 'Value is not convertible to Int64.');
});

test('v3 success and error envelopes, HTTP 200, text/plain, numeric ids', async () => {
  await withServer(async (port) => {
    const r = await rpc(port, '/rpc/v3', V3('echo', ['hi', { fee: 5 }, '-x', '-i', 'a', '--item=b']));
    assert.equal(r.status, 200);
    assert.deepEqual(r.json, {
      jsonrpc: '2.0',
      id: 7,
      result: { word: 'hi', count: 1, fee: 5, flag: true, item: ['a', 'b'], version: 3, calledAs: 'echo' },
    });
    assert.ok(r.text.endsWith('\n'));
    const h = await request(port, { body: JSON.stringify(V3('height')) });
    assert.match(String(h.headers['content-type']), /^text\/plain/);

    const alias = await rpc(port, '/rpc/v3', V3('say', ['x']));
    assert.equal(alias.json.result.calledAs, 'say');

    const unknown = await rpc(port, '/rpc/v3', V3('getnothing'));
    assert.deepEqual(unknown.json, { jsonrpc: '2.0', id: 7, error: { code: 1020, message: "'getnothing' is not a command. Enter 'help' for a list of commands." } });
    const argvErr = await rpc(port, '/rpc/v3', V3('echo', []));
    assert.deepEqual(argvErr.json.error, { code: 1021, message: "the option '--WORD' is required but missing" });
    const boom = await rpc(port, '/rpc/v3', V3('boom'));
    assert.deepEqual(boom.json.error, { code: 1000, message: 'account not found or incorrect password' });
    const legal = await rpc(port, '/rpc/v3', V3('legal'));
    assert.deepEqual(legal.json.error, { code: 2003, message: 'amount must not be 0' });
    const help = await rpc(port, '/rpc/v3', V3('echo', ['-h']));
    assert.match(help.json.result, /^Usage: mvs-cli echo/);
    const list = await rpc(port, '/rpc/v3', V3('help'));
    assert.match(list.json.result, /echo\s+Return the parsed arguments\./);
    const one = await rpc(port, '/rpc/v3', V3('help', ['add']));
    assert.match(one.json.result, /^Usage: mvs-cli add/);
  });
});

test('envelope rules per version (§1.4) and the deliberate leniency on v3', async () => {
  await withServer(async (port) => {
    // v3 without jsonrpc (ethminer) is accepted; v2 is not.
    assert.equal((await rpc(port, '/rpc/v3', { id: 3, method: 'height' })).json.result, 1234);
    assert.deepEqual((await rpc(port, '/rpc/v2', { id: 3, method: 'height' })).json, { jsonrpc: '2.0', id: -1, error: { code: -32600, message: 'Invalid Request: jsonrpc must be "2.0"' } });
    assert.equal((await rpc(port, '/rpc/v2', { jsonrpc: '3.0', id: 3, method: 'height' })).json.result, 1234);
    assert.equal((await rpc(port, '/rpc/v3', { jsonrpc: '1.0', id: 3, method: 'height' })).json.error.code, -32600);
    assert.equal((await rpc(port, '/rpc/v3', { jsonrpc: 2, id: 3, method: 'height' })).json.error.code, -32600);
    // params present but not an array → -32602, id -1.
    for (const params of [{}, 'x', 1, null]) {
      const r = await rpc(port, '/rpc/v3', { jsonrpc: '2.0', id: 3, method: 'height', params });
      assert.equal(r.json.error.code, -32602);
      assert.equal(r.json.id, -1);
    }
    // Not JSON / not an object → -32700, id -1.
    for (const body of ['', 'nonsense', '"str"', '42', '{"a":', 'null']) {
      const r = await rpc(port, '/rpc/v3', body);
      assert.equal(r.json.error.code, -32700, body);
      assert.equal(r.json.id, -1);
    }
    // Ids: string → number, missing → 0, unparsable string → 1000 with id -1.
    assert.equal((await rpc(port, '/rpc/v3', { jsonrpc: '2.0', id: '42', method: 'height' })).json.id, 42);
    assert.equal((await rpc(port, '/rpc/v3', { jsonrpc: '2.0', method: 'height' })).json.id, 0);
    assert.deepEqual((await rpc(port, '/rpc/v3', { jsonrpc: '2.0', id: 'x', method: 'height' })).json, { jsonrpc: '2.0', id: -1, error: { code: 1000, message: 'stol' } });
    // Missing method → -32600 (mvsd has no check; documented deviation).
    assert.equal((await rpc(port, '/rpc/v3', { jsonrpc: '2.0', id: 1 })).json.error.code, -32600);
    assert.equal((await rpc(port, '/rpc/v3', { jsonrpc: '2.0', id: 1, method: 5 })).json.error.code, -32600);
    // Positional array → 1000 with the request id.
    assert.deepEqual((await rpc(port, '/rpc/v3', V3('echo', [['a']]))).json.error, { code: 1000, message: 'Type is not convertible to string' });
  });
});

test('v1 (/rpc): raw results, bare strings, {code,error,result:null} errors, no id', async () => {
  await withServer(async (port) => {
    const obj = await rpc(port, '/rpc', { method: 'echo', params: ['w', { ignored: 1 }, '5'] });
    assert.deepEqual(obj.json, { word: 'w', count: 5, fee: 10000, flag: false, item: [], version: 1, calledAs: 'echo' });
    assert.equal((await request(port, { path: '/rpc', body: '{"method":"text"}' })).text, 'hello world');
    assert.equal((await request(port, { path: '/rpc', body: '{"method":"height","params":[]}' })).text, '1234');
    assert.deepEqual((await rpc(port, '/rpc', { method: 'nope' })).json, { code: 1020, error: "'nope' is not a command. Enter 'help' for a list of commands.", result: null });
    assert.equal((await rpc(port, '/rpc', '[1,2]')).json.code, -32700);
    assert.equal((await rpc(port, '/rpc', { method: 'height', params: {} })).json.code, -32602);
    // jsonrpc and id are ignored on v1.
    assert.equal((await request(port, { path: '/rpc', body: '{"jsonrpc":"9","id":"x","method":"height"}' })).text, '1234');
  });
});

test('other paths are a JSON 404; any HTTP method reaches the RPC paths', async () => {
  await withServer(async (port) => {
    const r = await request(port, { path: '/index.html', method: 'GET' });
    assert.equal(r.status, 404);
    assert.equal(JSON.parse(r.text).error.code, -32601);
    assert.equal((await request(port, { path: '/rpc/v4', body: '{}' })).status, 404);
    // GET with a body works like POST; OPTIONS without a body is a parse error (as mvsd).
    const g = await request(port, { method: 'GET', body: JSON.stringify(V3('height')) });
    assert.equal(JSON.parse(g.text).result, 1234);
    const o = await request(port, { method: 'OPTIONS' });
    assert.equal(o.status, 200);
    assert.equal(JSON.parse(o.text).error.code, -32700);
  });
});

test('bigint round trip: uint64 in params, results and ids stay exact', async () => {
  await withServer(async (port) => {
    const r = await rpc(port, '/rpc/v3', '{"jsonrpc":"2.0","id":9223372036854775807,"method":"add","params":["9007199254740993",9007199254740993]}');
    assert.match(r.text, /"id": 9223372036854775807/);
    assert.match(r.text, /"result": 18014398509481986\n/);
    assert.equal(r.json.result, 18014398509481986n);
    const m = await rpc(port, '/rpc/v3', V3('max'));
    assert.equal(m.json.result, 18446744073709551615n);
    assert.match(m.text, /18446744073709551615/);
    const over = await rpc(port, '/rpc/v3', V3('add', ['18446744073709551616', '1']));
    assert.deepEqual(over.json.error, { code: 1021, message: "the argument ('18446744073709551616') for option '--A' is invalid" });
  });
});

test('batch arrays (deviation): answered with an array, bounded, v1 refuses them', async () => {
  await withServer(
    async (port) => {
      const r = await rpc(port, '/rpc/v3', [V3('height'), { jsonrpc: '2.0', id: 2, method: 'nope' }, 5, { jsonrpc: '2.0', id: 'a', method: 'height' }]);
      assert.ok(Array.isArray(r.json));
      assert.equal(r.json.length, 4);
      assert.deepEqual(r.json[0], { jsonrpc: '2.0', id: 7, result: 1234 });
      assert.equal(r.json[1].error.code, 1020);
      assert.deepEqual(r.json[2], { jsonrpc: '2.0', id: -1, error: { code: -32600, message: 'Invalid Request: batch element is not an object' } });
      assert.deepEqual(r.json[3].error, { code: 1000, message: 'stol' });
      assert.deepEqual((await rpc(port, '/rpc/v3', [])).json.error, { code: -32600, message: 'Invalid Request: empty batch' });
      const big = await rpc(port, '/rpc/v2', Array.from({ length: 6 }, () => V3('height')));
      assert.equal(big.json.error.code, -32600);
      assert.match(big.json.error.message, /batch of 6 requests exceeds the limit of 5/);
      assert.equal((await rpc(port, '/rpc', [V3('height')])).json.code, -32700);
    },
    { maxBatch: 5 },
  );
});

test('body limit: an oversized body gets a JSON error and the keep-alive connection stays usable', async () => {
  await withServer(
    async (port, server) => {
      const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
      try {
        const big = JSON.stringify(V3('echo', ['x'.repeat(5000)]));
        const r = await rpc(port, '/rpc/v3', big, agent);
        assert.deepEqual(r.json, { jsonrpc: '2.0', id: -1, error: { code: -32600, message: 'Invalid Request: request body larger than 2048 bytes' } });
        const ok = await rpc(port, '/rpc/v3', V3('height'), agent);
        assert.equal(ok.json.result, 1234);
        assert.equal(server.connectionCount(), 1, 'both requests used one connection');
        const v1 = await rpc(port, '/rpc', big, agent);
        assert.equal(v1.json.code, -32600);
      } finally {
        agent.destroy();
      }
      // A body far beyond the limit without Content-Length (chunked): answered, then the server hangs up.
      const huge = await new Promise<string>((resolve) => {
        const req = http.request({ host: '127.0.0.1', port, path: '/rpc/v3', method: 'POST', headers: { 'Transfer-Encoding': 'chunked' } }, (res) => {
          let text = '';
          res.on('data', (c) => (text += c));
          res.on('end', () => resolve(text));
          res.on('error', () => resolve(text));
        });
        req.on('error', () => resolve('connection closed'));
        const chunk = Buffer.alloc(64 * 1024, 0x20);
        let sent = 0;
        const pump = () => {
          while (sent < 16 * 1024 * 1024) {
            sent += chunk.length;
            if (!req.write(chunk)) return req.once('drain', pump);
          }
          req.end();
        };
        pump();
      });
      assert.match(huge, /request body larger than 2048 bytes/);
      assert.equal((await rpc(port, '/rpc/v3', V3('height'))).json.result, 1234, 'server still answers');
    },
    { maxBodyBytes: 2048 },
  );
});

test('keep-alive, bounded connections and a close() that ends everything', async () => {
  const ctx: TestContext = { calls: 0 };
  const server = new RpcServer<TestContext>({ registry: testRegistry(), context: ctx, port: 0, maxConnections: 3 });
  const { port } = await server.listen();
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  for (let i = 0; i < 5; i++) assert.equal((await rpc(port, '/rpc/v3', V3('height'), agent)).json.result, 1234);
  assert.equal(server.connectionCount(), 1);
  const sockets: net.Socket[] = [];
  for (let i = 0; i < 6; i++) {
    const s = net.connect(port, '127.0.0.1');
    s.on('error', () => {});
    sockets.push(s);
  }
  await new Promise((r) => setTimeout(r, 150));
  assert.ok(server.connectionCount() <= 3, `at most 3 connections, saw ${server.connectionCount()}`);
  const started = Date.now();
  await server.close();
  assert.ok(Date.now() - started < 2000, 'close() does not wait for idle keep-alive sockets');
  assert.equal(server.connectionCount(), 0);
  await assert.rejects(request(port, { body: '{}' }));
  await server.close(); // idempotent
  agent.destroy();
  for (const s of sockets) s.destroy();
});

test('calls run one at a time by default (mvsd is single-threaded); serial:false lets them overlap', async () => {
  for (const serial of [true, false]) {
    const reg = testRegistry();
    let running = 0;
    let peak = 0;
    reg.add({
      name: 'slow',
      summary: 'Takes a while.',
      handler: async () => {
        running++;
        peak = Math.max(peak, running);
        await new Promise((r) => setTimeout(r, 20));
        running--;
        return running;
      },
    });
    const server = new RpcServer({ registry: reg, context: { calls: 0 }, port: 0, serial });
    const { port } = await server.listen();
    try {
      const replies = await Promise.all(Array.from({ length: 5 }, () => rpc(port, '/rpc/v3', V3('slow'))));
      for (const r of replies) assert.equal(typeof r.json.result, 'number');
      if (serial) assert.equal(peak, 1);
      else assert.ok(peak > 1);
    } finally {
      await server.close();
    }
  }
});
