/**
 * Acceptance criterion: 10,000 random malformed or hostile requests, each
 * answered with a JSON error carrying the reference's code; the server stays
 * up and its heap bounded. Deterministic (seeded PRNG), bounded, fast.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import net from 'node:net';
import v8 from 'node:v8';
import { runInNewContext } from 'node:vm';
import { RpcServer } from '../../../src/rpc/server.js';
import { parseJson } from '../../../src/rpc/json.js';
import { request, testRegistry, type TestContext } from './helpers.js';

const TOTAL = 10_000;
const CONCURRENCY = 32;
const MAX_BODY = 64 * 1024;

/** mulberry32: small deterministic PRNG. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface Case {
  kind: string;
  path: string;
  body: Buffer;
  /** Expected error code(s) of a single answer, or 'batch' for an array of errors, or 404. */
  expect: number[] | 'batch';
  /** Exact message to check, when the case determines it. */
  message?: string;
}

const rand = prng(0x5eed_2024);
const int = (n: number) => Math.floor(rand() * n);
const pick = <T>(xs: readonly T[]): T => xs[int(xs.length)];
const CHARS = 'abcXYZ019 _-./:\'"\\{}[]é€😀\u0000\u001f';
const randomString = (max: number) => Array.from({ length: int(max) }, () => pick([...CHARS])).join('');
const json = (v: unknown) => Buffer.from(JSON.stringify(v));
const V23 = ['/rpc/v3', '/rpc/v2', '/RPC/V3/'];

const generators: Array<[number, () => Case]> = [
  [10, () => {
    const bytes = Buffer.from(Array.from({ length: int(300) }, () => int(256)));
    let expect = [-32700];
    try {
      const v = JSON.parse(bytes.toString('utf8'));
      if (v && typeof v === 'object') expect = [-32700, -32600, -32602, 1000, 1020];
    } catch {
      /* not JSON: -32700 */
    }
    return { kind: 'random bytes', path: pick(['/rpc/v3', '/rpc']), body: bytes, expect };
  }],
  [8, () => {
    const text = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'echo', params: ['w', { fee: 1 }] });
    return { kind: 'truncated JSON', path: pick(V23), body: Buffer.from(text.slice(0, int(text.length - 1) + 1)), expect: [-32700] };
  }],
  [8, () => ({ kind: 'method of wrong type', path: '/rpc/v3', body: json({ jsonrpc: '2.0', id: 1, method: pick([1, null, true, [], {}, ['echo']]) }), expect: [-32600] })],
  [8, () => ({ kind: 'params of wrong type', path: pick(V23), body: json({ jsonrpc: '2.0', id: 1, method: 'echo', params: pick([{}, 'w', 5, null, true, { 0: 'w' }]) }), expect: [-32602] })],
  [6, () => ({ kind: 'bad jsonrpc', path: pick(['/rpc/v3', '/rpc/v2']), body: json({ jsonrpc: pick(['1.0', 2, '', null, [], '2.00']), id: 1, method: 'height' }), expect: [-32600] })],
  [4, () => ({ kind: 'jsonrpc missing on v2', path: '/rpc/v2', body: json({ id: 1, method: 'height' }), expect: [-32600] })],
  [8, () => {
    const id = pick<unknown>(['abc', '', ' ', {}, [], [1], 'x12']);
    return { kind: 'bad id', path: '/rpc/v3', body: json({ jsonrpc: '2.0', id, method: 'height' }), expect: [1000] };
  }],
  [4, () => ({ kind: 'id beyond int64', path: '/rpc/v3', body: Buffer.from(`{"jsonrpc":"2.0","id":${pick(['18446744073709551615', '9223372036854775808', '1e300', '-1e300', '99999999999999999999'])},"method":"height"}`), expect: [1000], message: undefined })],
  [8, () => {
    const huge = pick(['1' + '0'.repeat(20 + int(200)), '-1', '1.5', '1e3', '18446744073709551616', '0x10', '']);
    return { kind: 'huge or malformed number argument', path: '/rpc/v3', body: Buffer.from(`{"jsonrpc":"2.0","id":1,"method":"add","params":["${huge}","1"]}`), expect: [1021] };
  }],
  [4, () => ({ kind: 'number out of double range', path: pick(V23), body: Buffer.from(`{"jsonrpc":"2.0","id":1,"method":"add","params":[1e${400 + int(1000)},1]}`), expect: [-32700] })],
  [1, () => ({ kind: 'huge body', path: pick(['/rpc/v3', '/rpc']), body: Buffer.from(`{"jsonrpc":"2.0","id":1,"method":"echo","params":["${'x'.repeat(MAX_BODY + int(4 * MAX_BODY))}"]}`), expect: [-32600] })],
  [5, () => {
    const depth = 65 + int(20000);
    return { kind: 'deep nesting', path: pick(V23), body: Buffer.from(`{"jsonrpc":"2.0","id":1,"method":"echo","params":${'['.repeat(depth)}${']'.repeat(depth)}}`), expect: [-32700] };
  }],
  [10, () => {
    const method = 'zz' + randomString(40);
    return { kind: 'unknown method', path: pick(V23), body: json({ jsonrpc: '2.0', id: 1, method, params: [] }), expect: [1020], message: `'${method}' is not a command. Enter 'help' for a list of commands.` };
  }],
  [8, () => {
    const params = pick([[], ['1']]);
    return { kind: 'missing params', path: pick(V23), body: json({ jsonrpc: '2.0', id: 1, method: 'add', params }), expect: [1021], message: `the option '--${params.length === 0 ? 'A' : 'B'}' is required but missing` };
  }],
  [8, () => {
    const name = 'zz' + randomString(10).replace(/[=\s]/g, '');
    const token = pick([`--${name}`, `-q${name}`, `--${name}=1`]);
    return { kind: 'unknown option', path: pick(V23), body: json({ jsonrpc: '2.0', id: 1, method: 'echo', params: ['w', token] }), expect: [1021], message: `unrecognised option '${token}'` };
  }],
  [5, () => ({ kind: 'too many positionals', path: '/rpc/v3', body: json({ jsonrpc: '2.0', id: 1, method: 'echo', params: ['a', '1', 'b', ...Array.from({ length: int(50) }, () => 'c')] }), expect: [1021], message: 'too many positional options have been specified on the command line' })],
  [5, () => ({ kind: 'array or object in positional position', path: pick(V23), body: json({ jsonrpc: '2.0', id: 1, method: 'echo', params: pick([[['a']], ['w', [1, 2]], [{ fee: { a: 1 } }, 'w']]) }), expect: [1000] })],
  [4, () => ({ kind: 'handler failure', path: pick(V23), body: json({ jsonrpc: '2.0', id: 1, method: pick(['boom', 'legal']) }), expect: [1000, 2003] })],
  [5, () => {
    const items = Array.from({ length: 1 + int(8) }, () => pick<unknown>([1, 'x', null, [], { method: 'height', params: 3 }, { jsonrpc: '2.0', method: 'nope' }, { jsonrpc: '2.0', method: 'add', params: {} }]));
    return { kind: 'batch of garbage', path: '/rpc/v3', body: json(items), expect: 'batch' };
  }],
  [2, () => ({ kind: 'batch too large or empty', path: '/rpc/v3', body: json(int(2) ? [] : Array.from({ length: 101 + int(50) }, () => 1)), expect: [-32600] })],
  [4, () => ({ kind: 'invalid UTF-8', path: '/rpc/v3', body: Buffer.concat([Buffer.from('{"jsonrpc":"2.0","id":1,"method":"zz'), Buffer.from([0xff, 0xfe, 0xc3]), Buffer.from('"}')]), expect: [1020] })],
  [3, () => ({ kind: 'v1 garbage', path: '/rpc', body: json(pick<unknown>([[1], 'str', 5, { method: 'nope' }, { method: 'echo', params: 1 }, { method: 'echo' }])), expect: [-32700, -32602, 1020, 1021] })],
  [2, () => ({ kind: 'unknown path', path: pick(['/rpc/v9', '/', '/x', '/rpc/v3000', '/%00', '/rpcs']), body: json({ jsonrpc: '2.0', id: 1, method: 'height' }), expect: [-32601] })],
  [3, () => ({ kind: 'control characters', path: '/rpc/v3', body: Buffer.from(`{"jsonrpc":"2.0","id":1,"method":"echo","params":["a\u0001b"]}`), expect: [-32700] })],
];

const weightTotal = generators.reduce((n, [w]) => n + w, 0);
function nextCase(): Case {
  let r = int(weightTotal);
  for (const [w, g] of generators) {
    if (r < w) return g();
    r -= w;
  }
  return generators[0][1]();
}

function errorCode(v: any): number | undefined {
  if (v && typeof v === 'object' && v.error && typeof v.error === 'object') return Number(v.error.code);
  if (v && typeof v === 'object' && 'code' in v && v.result === null) return Number(v.code);
  return undefined;
}

function gcAndHeap(): number {
  v8.setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as () => void;
  gc();
  gc();
  return process.memoryUsage().heapUsed;
}

test(`${TOTAL} hostile requests: every one answered with a JSON error with the reference's code; server up, heap bounded`, { timeout: 120_000 }, async (t) => {
  const ctx: TestContext = { calls: 0 };
  const server = new RpcServer<TestContext>({ registry: testRegistry(), context: ctx, port: 0, maxBodyBytes: MAX_BODY, maxConnections: 64 });
  const { port } = await server.listen();
  const agent = new http.Agent({ keepAlive: true, maxSockets: CONCURRENCY });
  const heapBefore = gcAndHeap();
  const perKind = new Map<string, number>();
  const failures: string[] = [];
  let done = 0;
  try {
    const worker = async () => {
      while (done < TOTAL) {
        done++;
        const c = nextCase();
        perKind.set(c.kind, (perKind.get(c.kind) ?? 0) + 1);
        let reply;
        try {
          reply = await request(port, { path: c.path, body: c.body, agent });
        } catch (err) {
          failures.push(`${c.kind}: transport error ${(err as Error).message}`);
          continue;
        }
        let doc: any;
        try {
          doc = parseJson(reply.text);
        } catch {
          failures.push(`${c.kind}: answer is not JSON: ${reply.text.slice(0, 80)}`);
          continue;
        }
        const wantStatus = c.expect !== 'batch' && c.expect.includes(-32601) ? 404 : 200;
        if (reply.status !== wantStatus) failures.push(`${c.kind}: HTTP ${reply.status}`);
        if (c.expect === 'batch') {
          if (!Array.isArray(doc) || doc.some((e) => errorCode(e) === undefined)) failures.push(`${c.kind}: not an array of errors: ${reply.text.slice(0, 120)}`);
          continue;
        }
        const code = errorCode(doc);
        if (code === undefined || !c.expect.includes(code)) {
          failures.push(`${c.kind}: code ${code}, expected ${c.expect.join('|')}: ${reply.text.slice(0, 160)}`);
          continue;
        }
        if (c.message !== undefined) {
          const message = doc.error?.message ?? doc.error;
          if (message !== c.message) failures.push(`${c.kind}: message ${JSON.stringify(message)}, expected ${JSON.stringify(c.message)}`);
        }
      }
    };
    await Promise.all(Array.from({ length: CONCURRENCY }, worker));

    // Malformed HTTP on raw sockets: answered (400 with a JSON body) or closed, never a crash.
    for (let i = 0; i < 20; i++) {
      const answer = await new Promise<string>((resolve) => {
        const s = net.connect(port, '127.0.0.1', () => s.write(pick(['GARBAGE\r\n\r\n', 'POST /rpc/v3 HTTP/1.1\r\nContent-Length: x\r\n\r\n', `GET / HTTP/1.1\r\nX: ${'a'.repeat(20000)}\r\n\r\n`, '\u0000\u0001\u0002\r\n\r\n'])));
        let data = '';
        s.on('data', (d) => (data += d));
        s.on('close', () => resolve(data));
        s.on('error', () => resolve(data));
        s.setTimeout(2000, () => s.destroy());
      });
      if (answer && !/^HTTP\/1\.1 4\d\d/.test(answer)) failures.push(`malformed HTTP: ${answer.slice(0, 80)}`);
    }

    t.diagnostic(`request kinds: ${[...perKind].map(([k, n]) => `${k}=${n}`).join(', ')}`);
    assert.deepEqual(failures.slice(0, 20), [], `${failures.length} of ${TOTAL} requests misanswered`);
    assert.equal(ctx.calls, 0, 'no hostile request reached a handler that should not run');

    const alive = await request(port, { body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'height' }) });
    assert.equal(JSON.parse(alive.text).result, 1234, 'server still answers');
  } finally {
    agent.destroy();
    await server.close();
  }
  const heapAfter = gcAndHeap();
  const growth = heapAfter - heapBefore;
  t.diagnostic(`heap before ${(heapBefore / 1e6).toFixed(1)} MB, after ${(heapAfter / 1e6).toFixed(1)} MB`);
  assert.ok(growth < 32 * 1024 * 1024, `heap grew by ${(growth / 1e6).toFixed(1)} MB`);
});
