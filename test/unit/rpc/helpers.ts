import http from 'node:http';
import { Registry } from '../../../src/rpc/registry.js';
import { rpcError } from '../../../src/rpc/errors.js';
import { parseJson, type JsonValue } from '../../../src/rpc/json.js';

export interface HttpReply {
  status: number;
  headers: http.IncomingHttpHeaders;
  text: string;
}

/** One HTTP request to 127.0.0.1:port; resolves with status, headers and body text. */
export function request(
  port: number,
  options: { path?: string; method?: string; body?: string | Buffer; headers?: Record<string, string>; agent?: http.Agent | false } = {},
): Promise<HttpReply> {
  return new Promise((resolve, reject) => {
    const body = options.body === undefined ? undefined : Buffer.isBuffer(options.body) ? options.body : Buffer.from(options.body);
    const req = http.request(
      {
        host: '127.0.0.1',
        port,
        path: options.path ?? '/rpc/v3',
        method: options.method ?? 'POST',
        agent: options.agent ?? false,
        headers: { ...(body ? { 'Content-Length': String(body.length) } : {}), ...options.headers },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

/** POST a JSON text (or value) and parse the answer BigInt-safely. */
export async function rpc(port: number, path: string, body: unknown, agent?: http.Agent): Promise<{ status: number; json: any; text: string }> {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  const r = await request(port, { path, body: text, agent });
  let json: JsonValue | undefined;
  try {
    json = parseJson(r.text);
  } catch {
    json = undefined;
  }
  return { status: r.status, json, text: r.text };
}

export interface TestContext {
  calls: number;
}

/** A registry with a few test methods covering every argument kind. */
export function testRegistry(): Registry<TestContext> {
  const reg = new Registry<TestContext>();
  reg.add({
    name: 'echo',
    aliases: ['say'],
    summary: 'Return the parsed arguments.',
    params: {
      positional: [
        { name: 'WORD', required: true, description: 'A word.' },
        { name: 'COUNT', type: 'u64', default: 1n, description: 'A count.' },
      ],
      options: [
        { long: 'fee', short: 'f', type: 'u64', default: 10000n, description: 'Fee.' },
        { long: 'flag', short: 'x', flag: true, description: 'Switch.' },
        { long: 'item', short: 'i', list: true, description: 'Repeatable.' },
      ],
    },
    handler: (args, ctx, meta) => {
      ctx.calls++;
      return { word: args.WORD, count: args.COUNT, fee: args.fee, flag: args.flag, item: args.item, version: meta.apiVersion, calledAs: meta.calledAs };
    },
  });
  reg.add({ name: 'height', summary: 'A number.', handler: () => 1234 });
  reg.add({ name: 'text', summary: 'A string.', handler: () => 'hello world' });
  reg.add({ name: 'max', summary: 'uint64 max.', handler: () => 18446744073709551615n });
  reg.add({
    name: 'add',
    summary: 'Sum of two u64.',
    params: {
      positional: [
        { name: 'A', type: 'u64', required: true, description: 'a' },
        { name: 'B', type: 'u64', required: true, description: 'b' },
      ],
    },
    handler: (args) => (args.A as bigint) + (args.B as bigint),
  });
  reg.add({
    name: 'boom',
    summary: 'Throws a plain Error.',
    handler: () => {
      throw new Error('account not found or incorrect password');
    },
  });
  reg.add({
    name: 'legal',
    summary: 'Throws an RpcError.',
    handler: async () => {
      throw rpcError('argument_legality', 'amount must not be 0');
    },
  });
  return reg;
}
