import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync, rmSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { repoRoot } from '../../helpers/vectors.js';
import { loadConfig, readConfigFile, parseHostPort, parseSize, CONFIG_OPTIONS, ConfigError, ConfigHelpRequested } from '../../../src/node/config.js';

const HOME = '/home/tester';

function withFile(text: string, fn: (path: string, dir: string) => void): void {
  const dir = mkdtempSync(join(tmpdir(), 'mvs-config-'));
  const path = join(dir, 'mvs.conf');
  writeFileSync(path, text);
  try {
    fn(path, dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test('defaults: mainnet, per-network datadir, loopback RPC and websocket, network P2P port', () => {
  const c = loadConfig([], {}, { home: HOME });
  assert.equal(c.network, 'main');
  assert.equal(c.datadirRoot, '/home/tester/.mvs-node');
  assert.equal(c.datadir, '/home/tester/.mvs-node/main');
  assert.deepEqual(c.rpcBind, { host: '127.0.0.1', port: 8820 });
  assert.deepEqual(c.wsBind, { host: '127.0.0.1', port: 8821 });
  assert.equal(c.port, 5251);
  assert.equal(c.bind, '0.0.0.0');
  assert.equal(c.listen, true);
  assert.equal(c.wallet, true);
  assert.equal(c.ws, true);
  assert.deepEqual(c.connect, []);
  assert.equal(c.logLevel, 'info');
  assert.equal(c.logFormat, 'human');
  assert.equal(c.rpcMaxBody, 1048576);
  assert.equal(c.config, null);
  assert.ok(Object.values(c.sources).every((s) => s === 'default'));
  assert.equal(loadConfig(['--network', 'test'], {}, { home: HOME }).port, 15251);
  assert.equal(loadConfig(['--network', 'regtest'], {}, { home: HOME }).port, 25251);
  assert.equal(loadConfig(['--network', 'testnet'], {}, { home: HOME }).datadir, '/home/tester/.mvs-node/test');
});

test('every documented flag parses; repeatable ones accumulate; negations', () => {
  const c = loadConfig(
    [
      '--network=test',
      '--datadir', '~/chain',
      '--rpc-bind', '0.0.0.0:9000',
      '--ws-bind', '[::1]:9001',
      '--bind', '10.0.0.1',
      '--port', '0',
      '--no-listen',
      '--connect', 'a.example:1',
      '--connect', '1.2.3.4:2',
      '--addnode', 'b.example:3',
      '--maxpeers', '12',
      '--log-level', 'info,chain=debug',
      '--log-format', 'json',
      '--no-wallet',
      '--no-ws',
      '--rpc-max-body', '2MiB',
      '--ws-queue-limit', '512k',
      '--ws-queue-messages', '100',
      '--rpc-max-connections', '5',
      '--ws-max-connections', '7',
    ],
    {},
    { home: HOME },
  );
  assert.equal(c.network, 'test');
  assert.equal(c.datadir, '/home/tester/chain/test');
  assert.deepEqual(c.rpcBind, { host: '0.0.0.0', port: 9000 });
  assert.deepEqual(c.wsBind, { host: '::1', port: 9001 });
  assert.equal(c.bind, '10.0.0.1');
  assert.equal(c.port, 0);
  assert.equal(c.listen, false);
  assert.deepEqual(c.connect, ['a.example:1', '1.2.3.4:2']);
  assert.deepEqual(c.addnode, ['b.example:3']);
  assert.equal(c.maxpeers, 12);
  assert.equal(c.logLevel, 'info,chain=debug');
  assert.equal(c.logFormat, 'json');
  assert.equal(c.wallet, false);
  assert.equal(c.ws, false);
  assert.equal(c.rpcMaxBody, 2 * 1024 * 1024);
  assert.equal(c.wsQueueLimit, 512 * 1024);
  assert.equal(c.wsQueueMessages, 100);
  assert.equal(c.rpcMaxConnections, 5);
  assert.equal(c.wsMaxConnections, 7);
  assert.equal(c.sources.wallet, 'cli');
  assert.equal(loadConfig(['--listen'], {}, { home: HOME }).listen, true);
});

test('precedence CLI > env > file > default, with sources reported', () => {
  withFile('[network]\nport = 1111\nmaxpeers = 3\n[log]\nlevel = warn\n[server]\nrpc_bind = 127.0.0.1:7000\n', (path) => {
    const env = { MVSD_CONFIG: path, MVSD_PORT: '2222', MVSD_LOG_LEVEL: 'debug' };
    const c = loadConfig(['--port', '3333'], env, { home: HOME });
    assert.equal(c.port, 3333);
    assert.equal(c.sources.port, 'cli');
    assert.equal(c.logLevel, 'debug');
    assert.equal(c.sources.logLevel, 'env');
    assert.equal(c.maxpeers, 3);
    assert.equal(c.sources.maxpeers, 'file');
    assert.deepEqual(c.rpcBind, { host: '127.0.0.1', port: 7000 });
    assert.equal(c.wsBind.port, 8821);
    assert.equal(c.sources.wsBind, 'default');
    assert.equal(c.config, path);
    assert.equal(c.sources.config, 'env');
    const fromEnv = loadConfig([], env, { home: HOME });
    assert.equal(fromEnv.port, 2222);
    const fromFile = loadConfig(['--config', path], {}, { home: HOME });
    assert.equal(fromFile.port, 1111);
    assert.equal(fromFile.logLevel, 'warn');
  });
  // Env booleans and lists.
  const e = loadConfig([], { MVSD_WALLET: 'false', MVSD_CONNECT: 'a:1, b:2', MVSD_NETWORK: 'regtest' }, { home: HOME });
  assert.equal(e.wallet, false);
  assert.deepEqual(e.connect, ['a:1', 'b:2']);
  assert.equal(e.network, 'regtest');
  assert.equal(e.port, 25251);
  // An empty variable counts as unset.
  assert.equal(loadConfig([], { MVSD_PORT: '' }, { home: HOME }).port, 5251);
});

test("the reference's mvs.conf keys are understood; the rest are warnings, not errors", () => {
  const reference = [
    '# mvs configuration in common usage in MAINNET',
    '[network]',
    'inbound_port = 5252',
    'inbound_connections = 128',
    'outbound_connections = 8',
    'hosts_file = hosts.cache',
    'peer = seed.getmvs.org:5251',
    'peer = 1.2.3.4:5251 # comment',
    '[database]',
    '# directory = /var/local/Metaverse',
    '[server]',
    'mongoose_listen = 0.0.0.0:8820',
    'websocket_listen = 0.0.0.0:8821',
    'websocket_service_enabled = false',
    'log_level = DEBUG',
  ].join('\n');
  withFile(reference, (path) => {
    const c = loadConfig(['--config', path], {}, { home: HOME });
    assert.equal(c.port, 5252);
    assert.deepEqual(c.addnode, ['seed.getmvs.org:5251', '1.2.3.4:5251']);
    assert.deepEqual(c.rpcBind, { host: '0.0.0.0', port: 8820 });
    assert.deepEqual(c.wsBind, { host: '0.0.0.0', port: 8821 });
    assert.equal(c.ws, false);
    assert.equal(c.logLevel, 'debug');
    assert.deepEqual(
      c.warnings.map((w) => w.replace(/^.*line \d+: /, '')),
      ["'network.inbound_connections' is not used by this node", "'network.outbound_connections' is not used by this node", "'network.hosts_file' is not used by this node"],
    );
  });
  withFile('network = test\ndatadir = /srv/mvs\nwallet = no\n[network]\nconnect = a:1\nconnect = b:2\n', (path) => {
    const c = loadConfig(['--config', path], {}, { home: HOME });
    assert.equal(c.network, 'test');
    assert.equal(c.datadir, '/srv/mvs/test');
    assert.equal(c.wallet, false);
    assert.deepEqual(c.connect, ['a:1', 'b:2']);
  });
});

test('invalid values give a clear error naming the option and where it came from', () => {
  const err = (argv: string[], env: Record<string, string>, re: RegExp) =>
    assert.throws(() => loadConfig(argv, env, { home: HOME }), (e: unknown) => e instanceof ConfigError && re.test(e.message), re.source);
  err(['--port', '70000'], {}, /^invalid value '70000' for --port \(from command line\): expected a port number 0\.\.65535$/);
  err([], { MVSD_PORT: 'abc' }, /^invalid value 'abc' for --port \(from environment MVSD_PORT\)/);
  err(['--network', 'moon'], {}, /--network .*expected main, test or regtest/);
  err(['--rpc-bind', '8820'], {}, /--rpc-bind .*expected host:port/);
  err(['--connect', 'nohost'], {}, /--connect .*host:port/);
  err(['--log-level', 'loud'], {}, /--log-level .*unknown log level 'loud'/);
  err(['--log-format', 'xml'], {}, /--log-format .*human or json/);
  err(['--rpc-max-body', '1parsec'], {}, /--rpc-max-body/);
  err([], { MVSD_WALLET: 'maybe' }, /--wallet \(from environment MVSD_WALLET\): expected true or false/);
  err(['--nope'], {}, /unknown option '--nope'/);
  err(['--port'], {}, /argument missing/);
  err(['extra'], {}, /too many arguments/);
  err(['--config', '/does/not/exist.conf'], {}, /config file \/does\/not\/exist\.conf does not exist/);
  withFile('[network]\nport = x\n', (path) => err(['--config', path], {}, new RegExp(`--port \\(from config file ${path.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')} line 2 \\(network\\.port\\)\\)`)));
  withFile('[network]\nport = 1\ninbound_port = 2\n', (path) => err(['--config', path], {}, /'network\.inbound_port' repeats --port, already set by 'network\.port'/));
  withFile('just words\n', (path) => err(['--config', path], {}, /line 1: expected "key = value"/));
});

test('--help gives the help text; helpers parse host:port and sizes', () => {
  assert.throws(
    () => loadConfig(['--help'], {}),
    (e: unknown) => e instanceof ConfigHelpRequested && e.exitCode === 0 && /--rpc-bind <host:port>/.test(e.message) && /--no-wallet/.test(e.message),
  );
  assert.deepEqual(parseHostPort('localhost:1'), { host: 'localhost', port: 1 });
  assert.deepEqual(parseHostPort('[2001:db8::1]:5251'), { host: '2001:db8::1', port: 5251 });
  assert.equal(parseHostPort('host'), null);
  assert.equal(parseHostPort('host:65536'), null);
  assert.equal(parseSize('1024'), 1024);
  assert.equal(parseSize('1 MiB'), 1048576);
  assert.equal(parseSize('3k'), 3072);
  assert.equal(parseSize('0'), null);
  assert.equal(parseSize('-1'), null);
});

test('the option table is complete: one env name MVSD_<NAME> and (except --config) one file key per option', () => {
  const flags = CONFIG_OPTIONS.map((o) => o.flag);
  for (const f of ['network', 'datadir', 'config', 'rpc-bind', 'ws-bind', 'bind', 'port', 'listen', 'connect', 'addnode', 'maxpeers', 'log-level', 'log-format', 'wallet', 'rpc-max-body', 'ws-queue-limit']) {
    assert.ok(flags.includes(f), f);
  }
  for (const o of CONFIG_OPTIONS) {
    assert.equal(o.env, 'MVSD_' + o.flag.toUpperCase().replace(/-/g, '_'), o.flag);
    if (o.key !== 'config') assert.ok(o.file, o.flag);
  }
  const files = CONFIG_OPTIONS.flatMap((o) => [o.file, ...(o.fileAliases ?? [])]).filter(Boolean);
  assert.equal(new Set(files).size, files.length, 'file keys are unique');
  withFile('', (path) => assert.deepEqual(readConfigFile(path).values.size, 0));
});

test('the example config file in docs/configuration.md loads without warnings', () => {
  const doc = readFileSync(join(repoRoot(), 'docs', 'configuration.md'), 'utf8');
  const example = /```ini\n([\s\S]*?)```/.exec(doc);
  assert.ok(example, 'docs/configuration.md has an ini example');
  withFile(example[1], (path) => {
    const c = loadConfig(['--config', path], {}, { home: HOME });
    assert.deepEqual(c.warnings, []);
    assert.equal(c.datadir, '/var/lib/mvs-node/main');
    assert.deepEqual(c.addnode, ['seed.getmvs.org:5251']);
    assert.equal(c.logFormat, 'json');
  });
});
