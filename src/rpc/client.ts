import { request } from 'node:http';
import { parseJson, stringifyJson, isJsonObject, type JsonValue } from './json.js';

/** A JSON-RPC error answer (code and message as the node sent them), or a transport failure (code null). */
export class RpcClientError extends Error {
  readonly code: number | null;
  constructor(code: number | null, message: string) {
    super(message);
    this.name = 'RpcClientError';
    this.code = code;
  }
}

let nextId = 1;

/**
 * Call one method on `url` (e.g. http://127.0.0.1:8820/rpc/v3). Params are
 * passed as given (strings become command-line tokens on the node). Integers
 * beyond 2^53 come back as bigint.
 */
export function rpcCall<T = JsonValue>(url: string, method: string, params: JsonValue[] = [], timeoutMs = 60_000): Promise<T> {
  const body = stringifyJson({ jsonrpc: '2.0', id: nextId++, method, params });
  const u = new URL(url);
  return new Promise<T>((resolve, reject) => {
    const req = request(
      { hostname: u.hostname, port: u.port, path: u.pathname, method: 'POST', headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) }, timeout: timeoutMs },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          let doc: JsonValue;
          try {
            doc = parseJson(Buffer.concat(chunks).toString('utf8'));
          } catch (err) {
            reject(new RpcClientError(null, `unparseable answer from ${url}: ${(err as Error).message}`));
            return;
          }
          if (isJsonObject(doc) && isJsonObject(doc.error as JsonValue)) {
            const e = doc.error as Record<string, JsonValue>;
            reject(new RpcClientError(Number(e.code), String(e.message)));
            return;
          }
          resolve((isJsonObject(doc) ? doc.result : doc) as T);
        });
      },
    );
    req.on('timeout', () => req.destroy(new Error(`timeout after ${timeoutMs} ms`)));
    req.on('error', (err) => reject(new RpcClientError(null, `${method} on ${url}: ${err.message}`)));
    req.end(body);
  });
}
