/**
 * The JSON-RPC HTTP listener (mvs-rpc §1.2–§1.5): `/rpc/v3`, `/rpc/v2` and
 * `/rpc` on one port, API version taken from the URL only, HTTP 200 for every
 * RPC answer, envelopes per version, mvsd's error codes.
 *
 * Deliberate deviations from mvsd, all documented in docs/rpc.md:
 *  - v3 accepts a request without `jsonrpc` (ethminer's eth_submitWork omits it, §3);
 *  - v2/v3 accept JSON-RPC batch arrays (bounded; mvsd answers -32700);
 *  - a missing or non-string `method` is -32600 (mvsd has no check);
 *  - bodies are size-limited (-32600), other paths are a JSON 404
 *    (mvsd serves static files there), trailing garbage after the JSON is -32700;
 *  - error messages are JSON-escaped in v1 (mvsd writes them raw).
 */
import http from 'node:http';
import type { Socket } from 'node:net';
import { listenOn, boundAddress, type BoundAddress } from '../util/net.js';
import { RpcError, invalidParams, invalidRequest, parseError, toRpcError } from './errors.js';
import { parseJson, stringifyJson, isJsonObject, JsonSyntaxError, type JsonValue, type JsonObject } from './json.js';
import { jsonToArgv, type ApiVersion } from './params.js';
import type { Registry } from './registry.js';
import { logger } from '../util/logger.js';

export interface RpcServerOptions<Ctx> {
  registry: Registry<Ctx>;
  context: Ctx;
  /** Listen host (default 127.0.0.1, as mongoose_listen). */
  host?: string;
  /** Listen port (default 8820; 0 = ephemeral). */
  port?: number;
  /** Largest request body in bytes (default 1 MiB). */
  maxBodyBytes?: number;
  /** Most requests in one batch array (default 100). */
  maxBatch?: number;
  /** Most simultaneous TCP connections (default 64); further ones are refused. */
  maxConnections?: number;
  /** Idle keep-alive time in ms (default 5000). */
  keepAliveTimeoutMs?: number;
  /** Time allowed to receive one whole request in ms (default 30000). */
  requestTimeoutMs?: number;
  /** Deepest JSON nesting accepted (default 64). */
  maxJsonDepth?: number;
  /**
   * Run calls one at a time (default true), as mvsd's single mongoose thread
   * does; keeps wallet-mutating handlers from interleaving.
   */
  serial?: boolean;
}

const DEFAULTS = {
  host: '127.0.0.1',
  port: 8820,
  maxBodyBytes: 1024 * 1024,
  maxBatch: 100,
  maxConnections: 64,
  keepAliveTimeoutMs: 5000,
  requestTimeoutMs: 30000,
  maxJsonDepth: 64,
};

/**
 * The API version of a request path (§1.2), or null when it is not an RPC
 * path: a `/rpc/v<N>` prefix (case-insensitive) → max(1, N), served for N ≤ 3;
 * `/rpc` or `/rpc/…` otherwise → 1.
 */
export function apiVersionOfPath(path: string): ApiVersion | null {
  const p = path.toLowerCase();
  const m = /^\/rpc\/v(\d+)/.exec(p);
  if (m) {
    const n = Number(m[1]);
    return n <= 1 ? 1 : n === 2 || n === 3 ? n : null;
  }
  return p === '/rpc' || p.startsWith('/rpc/') ? 1 : null;
}

type Envelope = JsonObject;

function v23Error(id: number | bigint, err: RpcError): Envelope {
  return { jsonrpc: '2.0', id, error: { code: err.code, message: err.message } };
}

const INT64_MIN = -(1n << 63n);
const INT64_MAX = (1n << 63n) - 1n;
const UINT64_MAX = (1n << 64n) - 1n;

function exactId(v: bigint): number | bigint {
  return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;
}

/**
 * The response id mvsd derives from a request's `id` (§1.4): a string through
 * std::stol, anything else through jsoncpp's asInt64, missing/null → 0. Their
 * failures throw (→ 1000, response id -1) with libstdc++'s / jsoncpp's texts.
 */
export function readRequestId(id: JsonValue | undefined): number | bigint {
  if (id === undefined || id === null) return 0;
  if (typeof id === 'string') {
    const m = /^[\s]*([+-]?\d+)/.exec(id);
    if (!m) throw new RpcError(1000, 'stol');
    const v = BigInt(m[1]);
    if (v < INT64_MIN || v > INT64_MAX) throw new RpcError(1000, 'stol');
    return exactId(v);
  }
  if (typeof id === 'boolean') return id ? 1 : 0;
  if (typeof id === 'number') {
    // Integer tokens beyond 2^53 arrive as bigint, so a number here is safe or a real.
    if (id >= -9223372036854775808 && id < 9223372036854775808) return Math.trunc(id) || 0;
    throw new RpcError(1000, 'double out of Int64 range');
  }
  if (typeof id === 'bigint') {
    if (id >= INT64_MIN && id <= INT64_MAX) return exactId(id);
    if (id > INT64_MAX && id <= UINT64_MAX) throw new RpcError(1000, 'LargestUInt out of Int64 range');
    throw new RpcError(1000, 'double out of Int64 range');
  }
  throw new RpcError(1000, 'Value is not convertible to Int64.');
}

/**
 * Text where JSON.parse provably returns what parseJson returns: no run of
 * 16 digits (every integer is then below 2^53, so none needs a bigint), no
 * exponent (no real beyond the double range), no integer `-0` (parseJson
 * answers 0). Brackets are counted separately against the nesting limit.
 */
const UNSAFE_FOR_NATIVE_PARSE = /\d{16}|\d[eE]|-0(?![.0-9])/;
/** Bodies up to this size may take the native parser; typical calls are a few hundred bytes. */
const NATIVE_PARSE_MAX_CHARS = 16 * 1024;

function bracketCount(text: string): number {
  let n = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x5b || c === 0x7b) n++;
  }
  return n;
}

/**
 * A request body as parseJson reads it (bigint-exact, nesting-limited,
 * strict), taking the native JSON.parse — several times faster — when the
 * text cannot tell the two apart. Syntax errors always come from parseJson,
 * for its messages.
 */
export function parseRequestBody(text: string, maxDepth: number): JsonValue {
  if (text.length <= NATIVE_PARSE_MAX_CHARS && !UNSAFE_FOR_NATIVE_PARSE.test(text) && bracketCount(text) <= maxDepth) {
    try {
      return JSON.parse(text) as JsonValue;
    } catch {
      // fall through: parseJson reports the error
    }
  }
  return parseJson(text, { maxDepth });
}

interface CallEnv {
  apiVersion: ApiVersion;
  path: string;
  remoteAddress?: string;
}

export class RpcServer<Ctx> {
  readonly options: Required<Omit<RpcServerOptions<Ctx>, 'registry' | 'context'>> & Pick<RpcServerOptions<Ctx>, 'registry' | 'context'>;
  private readonly http: http.Server;
  private readonly sockets = new Set<Socket>();
  private queue: Promise<unknown> = Promise.resolve();
  private closing: Promise<void> | null = null;
  private readonly log = logger('rpc');

  constructor(options: RpcServerOptions<Ctx>) {
    this.options = {
      ...DEFAULTS,
      serial: true,
      ...Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined)),
    } as RpcServer<Ctx>['options'];
    this.http = http.createServer({ maxHeaderSize: 16 * 1024 }, (req, res) => this.onRequest(req, res));
    this.http.maxConnections = this.options.maxConnections;
    this.http.keepAliveTimeout = this.options.keepAliveTimeoutMs;
    this.http.headersTimeout = Math.min(this.options.requestTimeoutMs, this.options.keepAliveTimeoutMs + 10000);
    this.http.requestTimeout = this.options.requestTimeoutMs;
    this.http.maxHeadersCount = 100;
    this.http.on('connection', (s: Socket) => {
      this.sockets.add(s);
      s.on('close', () => this.sockets.delete(s));
    });
    this.http.on('clientError', (err, socket) => {
      if (!socket.writable) return socket.destroy();
      const body = stringifyJson(v23Error(-1, invalidRequest('malformed HTTP request')), 2) + '\n';
      socket.end(`HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
    });
  }

  /** Start listening; resolves with the bound address (port 0 → ephemeral). */
  async listen(): Promise<BoundAddress> {
    const a = await listenOn(this.http, this.options.port, this.options.host);
    this.log.info(a, 'JSON-RPC listening');
    return a;
  }

  address(): BoundAddress | null {
    return boundAddress(this.http);
  }

  /** Number of open client connections. */
  connectionCount(): number {
    return this.sockets.size;
  }

  /** Stop listening and close every connection (idempotent). */
  close(): Promise<void> {
    if (!this.closing) {
      this.closing = new Promise<void>((resolve) => {
        if (!this.http.listening) return resolve();
        this.http.close(() => resolve());
        this.http.closeAllConnections();
        for (const s of this.sockets) s.destroy();
        this.sockets.clear();
      });
    }
    return this.closing;
  }

  private onRequest(req: http.IncomingMessage, res: http.ServerResponse): void {
    const path = (req.url ?? '/').split('?')[0];
    const apiVersion = apiVersionOfPath(path);
    if (apiVersion === null) {
      req.resume();
      const body = stringifyJson(v23Error(-1, new RpcError(-32601, `no JSON-RPC endpoint at '${path}' (use /rpc/v3, /rpc/v2 or /rpc)`)), 2) + '\n';
      this.send(res, 404, body);
      return;
    }
    const limit = this.options.maxBodyBytes;
    // Past the limit the rest of the body is read and dropped, so the answer
    // arrives and keep-alive survives; beyond this much more we hang up.
    const drainLimit = Math.max(8 * 1024 * 1024, 8 * limit);
    const declared = Number(req.headers['content-length'] ?? NaN);
    let tooLarge = Number.isFinite(declared) && declared > limit;
    let received = 0;
    const chunks: Buffer[] = [];
    let answered = false;
    const tooLargeError = () => invalidRequest(`request body larger than ${limit} bytes`);
    const answerTooLarge = (close: boolean) => {
      if (answered) return;
      answered = true;
      this.send(res, 200, this.errorBody(apiVersion, tooLargeError()), close);
    };
    req.on('data', (chunk: Buffer) => {
      received += chunk.length;
      if (!tooLarge && received > limit) {
        tooLarge = true;
        chunks.length = 0;
      }
      if (tooLarge) {
        if (received > drainLimit && !answered) {
          // Stop reading, answer, and hang up once the answer is out.
          req.pause();
          res.once('finish', () => req.socket.destroy());
          answerTooLarge(true);
        }
        return;
      }
      chunks.push(chunk);
    });
    req.on('error', () => {
      /* connection reset while receiving: nothing to answer */
    });
    req.on('end', () => {
      if (tooLarge) return answerTooLarge(false);
      const text = Buffer.concat(chunks).toString('utf8');
      chunks.length = 0;
      this.handleBody(apiVersion, text, { path, remoteAddress: req.socket.remoteAddress }).then(
        (body) => {
          answered = true;
          this.send(res, 200, body);
        },
        (err) => {
          // handleBody answers every failure itself; this is a last resort.
          this.log.error({ err }, 'RPC request failed unexpectedly');
          answered = true;
          this.send(res, 200, this.errorBody(apiVersion, toRpcError(err)));
        },
      );
    });
  }

  private send(res: http.ServerResponse, status: number, body: string, close = false): void {
    if (res.headersSent || res.destroyed) return;
    res.statusCode = status;
    res.setHeader('Content-Type', 'text/plain; charset=utf-8');
    res.setHeader('Content-Length', Buffer.byteLength(body));
    if (close) res.setHeader('Connection', 'close');
    res.end(body);
  }

  private errorBody(apiVersion: ApiVersion, err: RpcError): string {
    if (apiVersion === 1) return stringifyJson({ code: err.code, error: err.message, result: null }, 2) + '\n';
    return stringifyJson(v23Error(-1, err), 2) + '\n';
  }

  /**
   * Answer one HTTP body (any text) for an API version: the response body
   * text, never a rejection. Exposed for tests and other transports.
   */
  async handleBody(apiVersion: ApiVersion, text: string, where: { path?: string; remoteAddress?: string } = {}): Promise<string> {
    const env: CallEnv = { apiVersion, path: where.path ?? (apiVersion === 1 ? '/rpc' : `/rpc/v${apiVersion}`), remoteAddress: where.remoteAddress };
    let doc: JsonValue;
    try {
      doc = parseRequestBody(text, this.options.maxJsonDepth);
    } catch (err) {
      const detail = err instanceof JsonSyntaxError ? err.message : undefined;
      return this.errorBody(apiVersion, parseError(detail));
    }
    if (apiVersion === 1) return this.handleV1(doc, env);
    if (Array.isArray(doc)) {
      if (doc.length === 0) return this.errorBody(apiVersion, invalidRequest('empty batch'));
      if (doc.length > this.options.maxBatch) {
        return this.errorBody(apiVersion, invalidRequest(`batch of ${doc.length} requests exceeds the limit of ${this.options.maxBatch}`));
      }
      const replies: Envelope[] = [];
      for (const item of doc) {
        replies.push(isJsonObject(item) ? await this.handleV23(item, env) : v23Error(-1, invalidRequest('batch element is not an object')));
      }
      return stringifyJson(replies, 2) + '\n';
    }
    if (!isJsonObject(doc)) return this.errorBody(apiVersion, parseError('the request is not a JSON object'));
    return stringifyJson(await this.handleV23(doc, env), 2) + '\n';
  }

  private async handleV23(req: JsonObject, env: CallEnv): Promise<Envelope> {
    // Check order of Mongoose.cpp HttpMessage::data_to_arg: params, jsonrpc, id.
    if ('params' in req && !Array.isArray(req.params)) return v23Error(-1, invalidParams('params must be an array'));
    const version = req.jsonrpc;
    const versionOk = version === '2.0' || version === '3.0' || (version === undefined && env.apiVersion === 3);
    if (!versionOk) return v23Error(-1, invalidRequest('jsonrpc must be "2.0"'));
    let id: number | bigint;
    try {
      id = readRequestId(req.id);
    } catch (err) {
      return v23Error(-1, toRpcError(err));
    }
    try {
      const result = await this.call(req, env);
      return { jsonrpc: '2.0', id, result: result as JsonValue };
    } catch (err) {
      return v23Error(id, toRpcError(err));
    }
  }

  private async handleV1(doc: JsonValue, env: CallEnv): Promise<string> {
    if (!isJsonObject(doc)) return this.errorBody(1, parseError('the request is not a JSON object'));
    if ('params' in doc && !Array.isArray(doc.params)) return this.errorBody(1, invalidParams('params must be an array'));
    try {
      const result = await this.call(doc, env);
      // v1 answers the raw result; a non-container is written as its plain text.
      if (result !== null && typeof result === 'object') return stringifyJson(result, 2) + '\n';
      return result === null || result === undefined ? '' : String(result);
    } catch (err) {
      return this.errorBody(1, toRpcError(err));
    }
  }

  private call(req: JsonObject, env: CallEnv): Promise<unknown> {
    const method = req.method;
    if (typeof method !== 'string') return Promise.reject(invalidRequest('method must be a string'));
    let tokens: string[];
    try {
      tokens = jsonToArgv(env.apiVersion, req.params);
    } catch (err) {
      return Promise.reject(err);
    }
    const run = () => this.options.registry.invoke(method, tokens, this.options.context, { apiVersion: env.apiVersion, path: env.path, calledAs: method, remoteAddress: env.remoteAddress });
    if (!this.options.serial) return run();
    const next = this.queue.then(run, run);
    this.queue = next.catch(() => undefined);
    return next;
  }
}

/** Create and start a JSON-RPC server; resolves once it listens. */
export async function startRpcServer<Ctx>(options: RpcServerOptions<Ctx>): Promise<RpcServer<Ctx>> {
  const server = new RpcServer(options);
  await server.listen();
  return server;
}
