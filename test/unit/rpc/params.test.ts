import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseArgv, jsonToArgv, formatG17, usageText, type ParamSpec } from '../../../src/rpc/params.js';
import { RpcError } from '../../../src/rpc/errors.js';
import { parseJson } from '../../../src/rpc/json.js';
import { METHOD_CATALOG } from '../../../src/rpc/catalog.js';

// A command shaped like the reference's `send` plus a few extra kinds.
const SEND: ParamSpec = {
  positional: [
    { name: 'ACCOUNTNAME', required: true, description: 'Account name.' },
    { name: 'ACCOUNTAUTH', required: true, description: 'Password.' },
    { name: 'TO_', required: true, description: 'Receiver.' },
    { name: 'AMOUNT', required: true, type: 'u64', description: 'Amount.' },
  ],
  options: [
    { long: 'change', short: 'c', description: 'Change.' },
    { long: 'memo', short: 'm', description: 'Memo.' },
    { long: 'fee', short: 'f', type: 'u64', default: 10000n, description: 'Fee.' },
    { long: 'rate', short: 'r', type: 'i32', default: 0, description: 'Rate.' },
    { long: 'number', short: 'n', type: 'u16', description: 'Count.' },
    { long: 'locktime', short: 'x', type: 'u32', default: 0, description: 'Lock time.' },
    { long: 'cert', flag: true, description: 'Switch.' },
    { long: 'deposited', short: 'd', flag: true, description: 'Switch.' },
    { long: 'broadcast', short: 'b', flag: true, description: 'Switch.' },
    { long: 'receivers', short: 'e', list: true, description: 'Repeatable.' },
    { long: 'json', short: 'j', type: 'bool', default: true, description: 'Bool value.' },
    { long: 'selfpublickey', short: 's', description: 'Prefix test.' },
    { long: 'symbol', description: 'Prefix test.' },
  ],
};

const BASE = ['alice', 'pw', 'MAddr', '100'];

function parse(tokens: string[], spec: ParamSpec = SEND) {
  return parseArgv(spec, tokens).values;
}

function fails(tokens: string[], message: string, spec: ParamSpec = SEND): void {
  assert.throws(
    () => parseArgv(spec, tokens),
    (err: unknown) => err instanceof RpcError && err.code === 1021 && err.message === message,
    `expected 1021 "${message}" for ${JSON.stringify(tokens)}`,
  );
}

test('positional arguments in declared order, typed, defaults filled', () => {
  const v = parse(BASE);
  assert.equal(v.ACCOUNTNAME, 'alice');
  assert.equal(v.ACCOUNTAUTH, 'pw');
  assert.equal(v.TO_, 'MAddr');
  assert.equal(v.AMOUNT, 100n);
  assert.equal(v.fee, 10000n);
  assert.equal(v.rate, 0);
  assert.equal(v.cert, false);
  assert.deepEqual(v.receivers, []);
  assert.equal(v.json, true);
  assert.equal(v.change, undefined);
});

test('every option form of §1.3: -x v, -xv, --long v, --long=v, unique prefix', () => {
  assert.equal(parse([...BASE, '-f', '20000']).fee, 20000n);
  assert.equal(parse([...BASE, '-f20000']).fee, 20000n);
  assert.equal(parse([...BASE, '--fee', '20000']).fee, 20000n);
  assert.equal(parse([...BASE, '--fee=20000']).fee, 20000n);
  assert.equal(parse([...BASE, '--fe', '20000']).fee, 20000n);
  assert.equal(parse([...BASE, '--fe=20000']).fee, 20000n);
  assert.equal(parse([...BASE, '--sy', 'X']).symbol, 'X');
  assert.equal(parse([...BASE, '--sel', 'K']).selfpublickey, 'K');
  // Options may come before, between and after positionals (the Python suites do this).
  const v = parse(['-f', '20000', 'alice', '--memo', 'hi', 'pw', 'MAddr', '-c', 'MChange', '100']);
  assert.equal(v.fee, 20000n);
  assert.equal(v.memo, 'hi');
  assert.equal(v.change, 'MChange');
  assert.equal(v.AMOUNT, 100n);
});

test('flags take no value; grouped short switches and a sticky value', () => {
  const v = parse([...BASE, '--cert', '-d']);
  assert.equal(v.cert, true);
  assert.equal(v.deposited, true);
  const g = parse([...BASE, '-db']);
  assert.equal(g.deposited, true);
  assert.equal(g.broadcast, true);
  const s = parse([...BASE, '-dbf300']);
  assert.equal(s.fee, 300n);
  assert.equal(s.broadcast, true);
  fails([...BASE, '--cert=true'], "option '--cert' does not take any arguments");
  // {"cert": true} becomes `--cert true`, the "true" an extra positional (quirk of §1.3).
  fails([...BASE, '--cert', 'true'], 'too many positional options have been specified on the command line');
});

test('repeatable list options accumulate in order', () => {
  assert.deepEqual(parse([...BASE, '-e', 'a:1', '-e', 'b:2', '--receivers', 'c:3', '--receivers=d:4']).receivers, ['a:1', 'b:2', 'c:3', 'd:4']);
});

test('a value option consumes the next token even when it starts with "-", unless it is a known option', () => {
  assert.equal(parse([...BASE, '--rate', '-1']).rate, -1);
  assert.equal(parse([...BASE, '-r', '-5']).rate, -5);
  assert.equal(parse([...BASE, '--memo', '-weird-']).memo, '-weird-');
  assert.equal(parse([...BASE, '--memo', '--']).memo, '--');
  fails([...BASE, '--memo', '-f'], "the required argument for option '--memo' is missing");
  fails([...BASE, '--memo', '--fee'], "the required argument for option '--memo' is missing");
  fails([...BASE, '--memo'], "the required argument for option '--memo' is missing");
  fails([...BASE, '-m'], "the required argument for option '--memo' is missing");
  fails([...BASE, '--memo='], "the argument for option '--memo' should follow immediately after the equal sign");
});

test('positional names are long options too; "--" ends option parsing', () => {
  const v = parse(['--ACCOUNTNAME', 'alice', '--ACCOUNTAUTH=pw', '--TO_', 'M', '--AMOUNT', '5']);
  assert.equal(v.ACCOUNTNAME, 'alice');
  assert.equal(v.AMOUNT, 5n);
  fails(['alice', '--ACCOUNTNAME', 'bob', 'pw', 'M', '1'], "option '--ACCOUNTNAME' cannot be specified more than once");
  const t = parse(['alice', 'pw', '--', '-MAddr', '7']);
  assert.equal(t.TO_, '-MAddr');
  assert.equal(t.AMOUNT, 7n);
});

test('boost error texts: unknown, ambiguous, too many, missing, repeated', () => {
  fails([...BASE, '--x'], "unrecognised option '--x'");
  fails([...BASE, '--xyz=5'], "unrecognised option '--xyz=5'");
  fails([...BASE, '-q'], "unrecognised option '-q'");
  fails([...BASE, '-dq'], "unrecognised option '-dq'");
  // A negative number in positional position is an (unknown) short option, as in boost.
  fails(['alice', 'pw', 'M', '-1'], "unrecognised option '-1'");
  fails([...BASE, '--s', 'x'], "option '--s' is ambiguous and matches '--selfpublickey', and '--symbol'");
  fails([...BASE, 'extra'], 'too many positional options have been specified on the command line');
  // Missing required options are reported alphabetically (boost keeps them in a std::map).
  fails([], "the option '--ACCOUNTAUTH' is required but missing");
  fails(['alice'], "the option '--ACCOUNTAUTH' is required but missing");
  fails(['alice', 'pw'], "the option '--AMOUNT' is required but missing");
  fails(['alice', 'pw', 'M'], "the option '--AMOUNT' is required but missing");
  fails([...BASE, '-f', '1', '--fee', '2'], "option '--fee' cannot be specified more than once");
  fails([...BASE, '--cert', '--cert'], "option '--cert' cannot be specified more than once");
});

test('numeric types: u64 beyond 2^53 exactly, ranges of u32 / u16 / i32, lexical_cast strictness', () => {
  assert.equal(parse(['a', 'b', 'c', '18446744073709551615']).AMOUNT, 18446744073709551615n);
  assert.equal(parse(['a', 'b', 'c', '9007199254740993']).AMOUNT, 9007199254740993n);
  assert.equal(parse(['a', 'b', 'c', '+7']).AMOUNT, 7n);
  fails(['a', 'b', 'c', '18446744073709551616'], "the argument ('18446744073709551616') for option '--AMOUNT' is invalid");
  fails(['a', 'b', 'c', '1.5'], "the argument ('1.5') for option '--AMOUNT' is invalid");
  fails(['a', 'b', 'c', ' 1'], "the argument (' 1') for option '--AMOUNT' is invalid");
  fails(['a', 'b', 'c', ''], "the argument ('') for option '--AMOUNT' is invalid");
  fails(['a', 'b', 'c', '0x10'], "the argument ('0x10') for option '--AMOUNT' is invalid");
  // Deviation: negative values for unsigned types are refused (boost would wrap them).
  fails([...BASE, '--fee', '-1'], "the argument ('-1') for option '--fee' is invalid");
  assert.equal(parse([...BASE, '-x', '4294967295']).locktime, 4294967295);
  fails([...BASE, '-x', '4294967296'], "the argument ('4294967296') for option '--locktime' is invalid");
  assert.equal(parse([...BASE, '-n', '65535']).number, 65535);
  fails([...BASE, '-n', '65536'], "the argument ('65536') for option '--number' is invalid");
  assert.equal(parse([...BASE, '-r', '-2147483648']).rate, -2147483648);
  fails([...BASE, '-r', '2147483648'], "the argument ('2147483648') for option '--rate' is invalid");
  fails([...BASE, '-r', 'abc'], "the argument ('abc') for option '--rate' is invalid");
});

test('bool values accept true/false/1/0/yes/no/on/off, case-insensitive; empty means true', () => {
  for (const [t, want] of [
    ['true', true],
    ['FALSE', false],
    ['1', true],
    ['0', false],
    ['yes', true],
    ['No', false],
    ['on', true],
    ['off', false],
    ['', true],
  ] as const) {
    assert.equal(parse([...BASE, '--json', t]).json, want, t);
  }
  fails([...BASE, '-j', 'Maybe'], "the argument ('maybe') for option '--json' is invalid. Valid choices are 'on|off', 'yes|no', '1|0' and 'true|false'");
});

test('-h / --help return the usage even when required arguments are missing', () => {
  assert.equal(parseArgv(SEND, ['-h']).help, true);
  assert.equal(parseArgv(SEND, ['--help']).help, true);
  assert.equal(parseArgv(SEND, ['--he']).help, true);
  assert.equal(parseArgv(SEND, BASE).help, false);
  // Syntax errors still win over help, as in boost (they happen while parsing).
  fails(['-h', '--nope'], "unrecognised option '--nope'");
  const usage = usageText('send', 'Send ETP.', SEND);
  assert.match(usage, /^Usage: mvs-cli send \[-h\]/);
  assert.match(usage, /-f \[ --fee \] u64 \(=10000\)/);
  assert.match(usage, /ACCOUNTNAME\s+Account name\. \(required\)/);
});

test('variadic positional takes every remaining token (importaccount WORD...)', () => {
  const spec = METHOD_CATALOG.importaccount.params!;
  const v = parseArgv(spec, ['w1', 'w2', 'w3', '-n', 'bob', '-p', 'secret', 'w4']).values;
  assert.deepEqual(v.WORD, ['w1', 'w2', 'w3', 'w4']);
  assert.equal(v.accountname, 'bob');
  assert.equal(v.hd_index, 1);
  assert.throws(() => parseArgv(spec, ['w1', '-n', 'bob']), /the option '--password' is required but missing/);
});

test('catalogue specs parse their documented examples', () => {
  const g = parseArgv(METHOD_CATALOG.getblock.params!, ['1000', 'false']).values;
  assert.equal(g.HASH_OR_HEIGH, '1000');
  assert.equal(g.json, false);
  assert.equal(g.tx_json, true);
  assert.equal(parseArgv(METHOD_CATALOG.getblock.params!, ['1000', '--tx_json', 'no']).values.tx_json, false);
  const c = parseArgv(METHOD_CATALOG.createrawtx.params!, ['-t', '0', '-s', 'MA', '-r', 'MB:100', '-r', 'MC:200', '-p']).values;
  assert.equal(c.type, 0);
  assert.deepEqual(c.receivers, ['MB:100', 'MC:200']);
  assert.equal(c.putscript, true);
  assert.equal(c.fee, 10000n);
  const r = parseArgv(METHOD_CATALOG.getrandom.params!, []).values;
  assert.equal(r.POINT2, 18446744073709551615n);
});

// ---------------------------------------------------------------------------

function argv(version: 1 | 2 | 3, paramsJson: string): string[] {
  return jsonToArgv(version, parseJson(paramsJson));
}

test('jsonToArgv v1: non-object elements stringified in order, objects ignored', () => {
  assert.deepEqual(argv(1, '["Alice","A123456",{"fee":1},"-a","M",5,true,null,1.5]'), ['Alice', 'A123456', '-a', 'M', '5', 'true', '', '1.5']);
  assert.deepEqual(jsonToArgv(1, undefined), []);
});

test('jsonToArgv v2/v3: first object → sorted options, then every non-object element', () => {
  assert.deepEqual(argv(3, '[{"symbol":"X","fee":20000},"Alice","A123",{"ignored":1},"-n",1]'), ['--fee', '20000', '--symbol', 'X', 'Alice', 'A123', '-n', '1']);
  assert.deepEqual(argv(2, '["a",{"deposited":null,"k":[],"o":{}}]'), ['--deposited', '--k', '--o', 'a']);
  assert.deepEqual(argv(3, '[{"receivers":["a:1","b:2"]}]'), ['--receivers', 'a:1', '--receivers', 'b:2']);
  // {"cert": true} → --cert true (the quirk the parser then rejects).
  assert.deepEqual(argv(3, '[{"cert":true}]'), ['--cert', 'true']);
  assert.deepEqual(argv(3, '[18446744073709551615, -9223372036854775809, 1e21, 0.1, false]'), [
    '18446744073709551615',
    '-9223372036854775809',
    '1e+21',
    '0.10000000000000001',
    'false',
  ]);
  assert.deepEqual(argv(3, '[]'), []);
});

test('jsonToArgv errors: arrays in positional position and nested objects → 1000; params not an array → -32602', () => {
  for (const [v, p] of [
    [3, '["a",["b"]]'],
    [1, '[["b"]]'],
    [3, '[{"k":{"a":1}}]'],
    [3, '[{"k":[[1]]}]'],
  ] as const) {
    assert.throws(
      () => argv(v, p),
      (e: unknown) => e instanceof RpcError && e.code === 1000 && e.message === 'Type is not convertible to string',
      p,
    );
  }
  assert.throws(() => jsonToArgv(3, parseJson('{"a":1}')), (e: unknown) => e instanceof RpcError && e.code === -32602);
  assert.throws(() => jsonToArgv(3, null), (e: unknown) => e instanceof RpcError && e.code === -32602);
});

test('formatG17 matches C printf("%.17g")', () => {
  const cases: Array<[number, string]> = [
    [0, '0'],
    [1, '1'],
    [1.5, '1.5'],
    [0.1, '0.10000000000000001'],
    [-2.5, '-2.5'],
    [1e21, '1e+21'],
    [1e16, '10000000000000000'],
    [1e17, '1e+17'],
    [123456789.125, '123456789.125'],
    [0.0001, '0.0001'],
    [0.00001, '1.0000000000000001e-05'],
    [9007199254740993, '9007199254740992'],
  ];
  for (const [x, want] of cases) assert.equal(formatG17(x), want, String(x));
});
