/**
 * BigInt-safe JSON for the RPC and websocket layers.
 *
 * MVS amounts and ids are uint64 / int64 (mvs-rpc §2.2: "uint64 values can
 * exceed 2^53"), and Node 20's JSON.parse has no access to the source text of a
 * number, so a plain parse silently rounds them. `parseJson` is a small strict
 * RFC 8259 parser that returns integers outside the safe range as `bigint`
 * (everything else as JSON.parse would), with a nesting limit so hostile input
 * cannot exhaust the stack. `stringifyJson` writes `bigint` as bare integers.
 */

export type JsonValue = null | boolean | number | bigint | string | JsonValue[] | { [key: string]: JsonValue };
export type JsonObject = { [key: string]: JsonValue };

export class JsonSyntaxError extends Error {
  readonly position: number;
  constructor(message: string, position: number) {
    super(`${message} at position ${position}`);
    this.name = 'JsonSyntaxError';
    this.position = position;
  }
}

export interface ParseOptions {
  /** Deepest array/object nesting accepted (jsoncpp's own stack limit is 1000). */
  maxDepth?: number;
}

const DEFAULT_MAX_DEPTH = 256;
const NUMBER_RE = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;

export function parseJson(text: string, options: ParseOptions = {}): JsonValue {
  const parser = new Parser(text, options.maxDepth ?? DEFAULT_MAX_DEPTH);
  return parser.parseDocument();
}

class Parser {
  private pos = 0;
  constructor(
    private readonly text: string,
    private readonly maxDepth: number,
  ) {}

  parseDocument(): JsonValue {
    this.skipWhitespace();
    const value = this.parseValue(0);
    this.skipWhitespace();
    if (this.pos !== this.text.length) this.fail('unexpected data after the JSON value');
    return value;
  }

  private fail(message: string): never {
    throw new JsonSyntaxError(message, this.pos);
  }

  private skipWhitespace(): void {
    const t = this.text;
    while (this.pos < t.length) {
      const c = t.charCodeAt(this.pos);
      if (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) this.pos++;
      else break;
    }
  }

  private parseValue(depth: number): JsonValue {
    const c = this.text[this.pos];
    switch (c) {
      case '{':
        return this.parseObject(depth + 1);
      case '[':
        return this.parseArray(depth + 1);
      case '"':
        return this.parseString();
      case 't':
        return this.literal('true', true);
      case 'f':
        return this.literal('false', false);
      case 'n':
        return this.literal('null', null);
      case undefined:
        return this.fail('unexpected end of input');
      default:
        if (c === '-' || (c >= '0' && c <= '9')) return this.parseNumber();
        return this.fail(`unexpected character ${JSON.stringify(c)}`);
    }
  }

  private literal<T extends JsonValue>(word: string, value: T): T {
    if (this.text.startsWith(word, this.pos)) {
      this.pos += word.length;
      return value;
    }
    return this.fail('invalid literal');
  }

  private parseNumber(): number | bigint {
    NUMBER_RE.lastIndex = this.pos;
    const m = NUMBER_RE.exec(this.text);
    if (!m) return this.fail('invalid number');
    const token = m[0];
    this.pos += token.length;
    const isInteger = !/[.eE]/.test(token);
    if (isInteger) {
      // Integers keep their exact value: a safe one as a number, others as bigint.
      const n = Number(token);
      if (Number.isSafeInteger(n)) return n === 0 ? 0 : n;
      return BigInt(token);
    }
    const n = Number(token);
    if (!Number.isFinite(n)) return this.fail('number out of range');
    return n;
  }

  private parseString(): string {
    const t = this.text;
    let pos = this.pos + 1;
    let out = '';
    let chunkStart = pos;
    for (;;) {
      if (pos >= t.length) {
        this.pos = pos;
        return this.fail('unterminated string');
      }
      const c = t.charCodeAt(pos);
      if (c === 0x22) {
        out += t.slice(chunkStart, pos);
        this.pos = pos + 1;
        return out;
      }
      if (c < 0x20) {
        this.pos = pos;
        return this.fail('control character in string');
      }
      if (c === 0x5c) {
        out += t.slice(chunkStart, pos);
        const e = t[pos + 1];
        switch (e) {
          case '"':
            out += '"';
            break;
          case '\\':
            out += '\\';
            break;
          case '/':
            out += '/';
            break;
          case 'b':
            out += '\b';
            break;
          case 'f':
            out += '\f';
            break;
          case 'n':
            out += '\n';
            break;
          case 'r':
            out += '\r';
            break;
          case 't':
            out += '\t';
            break;
          case 'u': {
            const hex = t.slice(pos + 2, pos + 6);
            if (!/^[0-9a-fA-F]{4}$/.test(hex)) {
              this.pos = pos;
              return this.fail('invalid \\u escape');
            }
            out += String.fromCharCode(parseInt(hex, 16));
            pos += 4;
            break;
          }
          default:
            this.pos = pos;
            return this.fail('invalid escape');
        }
        pos += 2;
        chunkStart = pos;
        continue;
      }
      pos++;
    }
  }

  private parseArray(depth: number): JsonValue[] {
    if (depth > this.maxDepth) this.fail(`nesting deeper than ${this.maxDepth}`);
    this.pos++;
    const out: JsonValue[] = [];
    this.skipWhitespace();
    if (this.text[this.pos] === ']') {
      this.pos++;
      return out;
    }
    for (;;) {
      this.skipWhitespace();
      out.push(this.parseValue(depth));
      this.skipWhitespace();
      const c = this.text[this.pos];
      if (c === ',') {
        this.pos++;
        continue;
      }
      if (c === ']') {
        this.pos++;
        return out;
      }
      this.fail("expected ',' or ']'");
    }
  }

  private parseObject(depth: number): JsonObject {
    if (depth > this.maxDepth) this.fail(`nesting deeper than ${this.maxDepth}`);
    this.pos++;
    const out: JsonObject = {};
    this.skipWhitespace();
    if (this.text[this.pos] === '}') {
      this.pos++;
      return out;
    }
    for (;;) {
      this.skipWhitespace();
      if (this.text[this.pos] !== '"') this.fail('expected a string key');
      const key = this.parseString();
      this.skipWhitespace();
      if (this.text[this.pos] !== ':') this.fail("expected ':'");
      this.pos++;
      this.skipWhitespace();
      const value = this.parseValue(depth);
      // Duplicate keys: the last one wins, as in jsoncpp. defineProperty keeps
      // a "__proto__" key an ordinary own property instead of a prototype change.
      Object.defineProperty(out, key, { value, enumerable: true, writable: true, configurable: true });
      this.skipWhitespace();
      const c = this.text[this.pos];
      if (c === ',') {
        this.pos++;
        continue;
      }
      if (c === '}') {
        this.pos++;
        return out;
      }
      this.fail("expected ',' or '}'");
    }
  }
}

/**
 * JSON text of a value; `bigint` is written as a bare integer. `indent` > 0
 * pretty-prints (mvsd answers with styled, newline-terminated JSON, §1.2).
 * Values JSON cannot hold (undefined members, functions) are omitted like
 * JSON.stringify does; non-finite numbers become null.
 */
export function stringifyJson(value: unknown, indent = 0): string {
  const pad = indent > 0 ? ' '.repeat(indent) : '';
  const out: string[] = [];
  write(value, '', out, pad, new Set());
  return out.join('');
}

function write(value: unknown, currentIndent: string, out: string[], pad: string, seen: Set<object>): void {
  switch (typeof value) {
    case 'string':
      out.push(JSON.stringify(value));
      return;
    case 'number':
      out.push(Number.isFinite(value) ? String(value) : 'null');
      return;
    case 'bigint':
      out.push(value.toString());
      return;
    case 'boolean':
      out.push(value ? 'true' : 'false');
      return;
    case 'undefined':
    case 'function':
    case 'symbol':
      out.push('null');
      return;
  }
  if (value === null) {
    out.push('null');
    return;
  }
  const obj = value as object;
  if (seen.has(obj)) throw new TypeError('cannot serialize a circular structure');
  seen.add(obj);
  const inner = currentIndent + pad;
  const nl = pad ? '\n' : '';
  const sep = pad ? ': ' : ':';
  if (Array.isArray(obj)) {
    if (obj.length === 0) out.push('[]');
    else {
      out.push('[', nl);
      obj.forEach((item, i) => {
        out.push(inner);
        write(item, inner, out, pad, seen);
        if (i < obj.length - 1) out.push(',');
        out.push(nl);
      });
      out.push(currentIndent, ']');
    }
  } else if (Buffer.isBuffer(obj)) {
    out.push(JSON.stringify(obj.toString('hex')));
  } else {
    const entries = Object.entries(obj).filter(([, v]) => v !== undefined && typeof v !== 'function' && typeof v !== 'symbol');
    if (entries.length === 0) out.push('{}');
    else {
      out.push('{', nl);
      entries.forEach(([k, v], i) => {
        out.push(inner, JSON.stringify(k), sep);
        write(v, inner, out, pad, seen);
        if (i < entries.length - 1) out.push(',');
        out.push(nl);
      });
      out.push(currentIndent, '}');
    }
  }
  seen.delete(obj);
}

export function isJsonObject(v: unknown): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
