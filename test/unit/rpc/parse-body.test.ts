import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseRequestBody } from '../../../src/rpc/server.js';
import { parseJson } from '../../../src/rpc/json.js';

/** Deterministic PRNG (mulberry32). */
function rng(seed: number): () => number {
  return () => {
    seed |= 0;
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const ATOMS = ['0', '-0', '1', '-1', '9007199254740991', '9007199254740993', '18446744073709551615', '1.5', '1e3', '1E400', '-1e-400', '0.1', 'true', 'false', 'null', '"a"', '"\\ud800"', '"\\u0000"', '"é"', '""', '12345678901234567'];

function gen(r: () => number, depth: number): string {
  const k = r();
  if (depth <= 0 || k < 0.4) return ATOMS[Math.floor(r() * ATOMS.length)];
  const n = Math.floor(r() * 4);
  if (k < 0.7) return '[' + Array.from({ length: n }, () => gen(r, depth - 1)).join(',') + ']';
  return '{' + Array.from({ length: n }, (_, i) => `"k${i}":${gen(r, depth - 1)}`).join(',') + '}';
}

function outcome(f: () => unknown): string {
  try {
    return 'ok:' + JSON.stringify(f(), (_k, v) => (typeof v === 'bigint' ? `bigint:${v}` : Object.is(v, -0) ? 'neg0' : v));
  } catch (err) {
    return 'err:' + (err as { code?: unknown }).code;
  }
}

test('the fast request-body path gives exactly what the bigint-exact parser gives', () => {
  const r = rng(20261201);
  const docs: string[] = [];
  for (let i = 0; i < 3000; i++) docs.push(gen(r, 6));
  // Depth limits and malformed input.
  for (const d of [63, 64, 65]) docs.push('['.repeat(d) + ']'.repeat(d));
  docs.push('{"a":1,}', '[1 2]', '01', '1.', '"\\x"', '{"a":', 'nul', '');
  let same = 0;
  for (const text of docs) {
    assert.equal(outcome(() => parseRequestBody(text, 64)), outcome(() => parseJson(text, { maxDepth: 64 })), text);
    same++;
  }
  assert.equal(same, docs.length);
});
