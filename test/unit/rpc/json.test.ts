import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseJson, stringifyJson, JsonSyntaxError } from '../../../src/rpc/json.js';

test('integers beyond 2^53 parse as exact bigint and stringify back bare', () => {
  const text = '{"a":18446744073709551615,"b":-9223372036854775808,"c":9007199254740993,"d":9007199254740991,"e":[1,2.5,-0,1e3]}';
  const v = parseJson(text) as Record<string, unknown>;
  assert.equal(v.a, 18446744073709551615n);
  assert.equal(v.b, -9223372036854775808n);
  assert.equal(v.c, 9007199254740993n);
  assert.equal(v.d, 9007199254740991);
  assert.deepEqual(v.e, [1, 2.5, 0, 1000]);
  assert.equal(stringifyJson(v), '{"a":18446744073709551615,"b":-9223372036854775808,"c":9007199254740993,"d":9007199254740991,"e":[1,2.5,0,1000]}');
  // Round trip of a huge integer that JSON.parse would round.
  assert.equal(stringifyJson(parseJson('123456789012345678901234567890')), '123456789012345678901234567890');
});

test('strings, escapes and unicode as JSON.parse', () => {
  const samples = ['"a\\"b\\\\c\\/d\\b\\f\\n\\r\\t"', '"\\u00e9\\ud83d\\ude00"', '"plain ünïcödé 😀"', '""', '{"__proto__":1}', '[[],{},[{}]]', ' \n\t true ', 'null', 'false'];
  for (const s of samples) assert.deepEqual(parseJson(s), JSON.parse(s), s);
  const proto = parseJson('{"__proto__":{"polluted":1}}') as Record<string, unknown>;
  assert.equal(Object.getPrototypeOf(proto), Object.prototype);
  assert.deepEqual(Object.keys(proto), ['__proto__']);
  assert.equal(({} as Record<string, unknown>).polluted, undefined);
});

test('malformed input is rejected with a position', () => {
  const bad = ['', ' ', '{', '[1,]', '{"a":1,}', '{a:1}', "'x'", '01', '1.', '.5', '-', '+1', '1e', 'tru', 'nul', '"\\x"', '"\\u12"', '"a', '"\u0001"', '{"a" 1}', '[1 2]', '1 2', 'NaN', 'Infinity', '1e999', '{"a":1}garbage', '\u00a0 1'];
  for (const s of bad) {
    assert.throws(() => parseJson(s), (e: unknown) => e instanceof JsonSyntaxError && /position \d+/.test(e.message), JSON.stringify(s));
  }
});

test('nesting deeper than the limit is rejected without exhausting the stack', () => {
  assert.deepEqual(parseJson('[[[1]]]', { maxDepth: 3 }), [[[1]]]);
  assert.throws(() => parseJson('[[[[1]]]]', { maxDepth: 3 }), /nesting deeper than 3/);
  const deep = '['.repeat(200000) + ']'.repeat(200000);
  assert.throws(() => parseJson(deep), /nesting deeper than 256/);
  assert.throws(() => parseJson('{"a":'.repeat(1000) + '1' + '}'.repeat(1000)), /nesting deeper/);
});

test('stringify pretty-prints, drops undefined members, writes non-finite as null', () => {
  assert.equal(stringifyJson({ a: 1, b: undefined, c: [1n, 'x'], d: {} }, 2), '{\n  "a": 1,\n  "c": [\n    1,\n    "x"\n  ],\n  "d": {}\n}');
  assert.equal(stringifyJson([NaN, Infinity, null, true]), '[null,null,null,true]');
  assert.equal(stringifyJson('é"\n'), JSON.stringify('é"\n'));
  const cyclic: Record<string, unknown> = {};
  cyclic.self = cyclic;
  assert.throws(() => stringifyJson(cyclic), /circular/);
});
