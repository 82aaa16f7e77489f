import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Registry } from '../../../src/rpc/registry.js';
import { METHOD_CATALOG, REFERENCE_COMMANDS } from '../../../src/rpc/catalog.js';
import { RpcError, toRpcError, rpcError, RPC_ERROR_CODES } from '../../../src/rpc/errors.js';
import { execFileSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { repoRoot } from '../../helpers/vectors.js';

test('the catalogue: 75 reference commands and their 21 aliases register without clashes', () => {
  const reg = new Registry();
  for (const info of Object.values(METHOD_CATALOG)) reg.implement(info, () => info.name);
  assert.equal(REFERENCE_COMMANDS.length, 75);
  const aliases = Object.values(METHOD_CATALOG).flatMap((m) => ('aliases' in m ? (m.aliases ?? []) : []));
  assert.equal(aliases.length, 21);
  for (const a of ['eth_getWork', 'eth_submitWork', 'fetch-height', 'getbestblockhash', 'didsend', 'exportaccountasfile', 'additionalissue']) {
    assert.ok(reg.has(a), a);
  }
  assert.equal(reg.get('eth_getWork')!.name, 'getwork');
  assert.equal(reg.get('start')!.name, 'startmining');
  // 75 + the two extensions (eth_submitHashrate, regtest generate) + the built-in help; every method has a usage text.
  assert.equal(reg.methods().length, 78);
  for (const m of reg.methods()) assert.match(reg.usage(m.name), new RegExp(`^Usage: mvs-cli ${m.name}`));
  assert.match(reg.helpText(), /getwork\s+The current work package.*\(aliases: eth_getWork\)/);
});

test('invoke: aliases, usage on -h, handler errors mapped, unknown methods 1020', async () => {
  const reg = new Registry<{ n: number }>();
  reg.implement(METHOD_CATALOG.getheight, (_args, ctx, meta) => ({ height: ctx.n, as: meta.calledAs, v: meta.apiVersion }));
  reg.add({
    name: 'fail',
    summary: 'x',
    handler: () => {
      throw new TypeError('bad thing');
    },
  });
  const meta = { apiVersion: 3 as const, path: '/rpc/v3' };
  assert.deepEqual(await reg.invoke('fetch-height', [], { n: 5 }, meta), { height: 5, as: 'fetch-height', v: 3 });
  // The optional ADMINNAME ADMINAUTH positionals are accepted.
  assert.deepEqual(await reg.invoke('getheight', ['admin', 'pw'], { n: 1 }, meta), { height: 1, as: 'getheight', v: 3 });
  await assert.rejects(reg.invoke('getheight', ['a', 'b', 'c'], { n: 1 }, meta), (e: unknown) => e instanceof RpcError && e.code === 1021);
  assert.match(String(await reg.invoke('getheight', ['--help'], { n: 1 }, meta)), /^Usage: mvs-cli getheight \[-h\] \[ADMINNAME\] \[ADMINAUTH\]/);
  await assert.rejects(reg.invoke('fail', [], { n: 0 }, meta), (e: unknown) => e instanceof RpcError && e.code === 1000 && e.message === 'bad thing');
  await assert.rejects(reg.invoke('GETHEIGHT', [], { n: 0 }, meta), (e: unknown) => e instanceof RpcError && e.code === 1020);
  await assert.rejects(reg.invoke('help', ['nothing'], { n: 0 }, meta), (e: unknown) => e instanceof RpcError && e.code === 1020);
  assert.throws(() => reg.add({ name: 'x', aliases: ['fetch-height'], summary: '', handler: () => 0 }), /already registered/);
  assert.throws(() => reg.add({ name: 'bad name', summary: '', handler: () => 0 }), /invalid method name/);
  reg.replaceHandler('fail', () => 'fixed');
  assert.equal(await reg.invoke('fail', [], { n: 0 }, meta), 'fixed');
});

test('errors: named codes of §1.5, non-RpcErrors become 1000', () => {
  assert.equal(RPC_ERROR_CODES.jsonrpc_parse_error, -32700);
  assert.equal(RPC_ERROR_CODES.invalid_command, 1020);
  assert.equal(RPC_ERROR_CODES.setting_required, 1024);
  assert.equal(RPC_ERROR_CODES.account_existed, 3001);
  assert.equal(RPC_ERROR_CODES.address_invalid, 4010);
  assert.equal(RPC_ERROR_CODES.block_height_get, 5101);
  assert.equal(RPC_ERROR_CODES.did_symbol_notfound, 7006);
  const e = rpcError('argument_legality', 'nonce should start with "0x" for eth_submitWork');
  assert.equal(e.code, 2003);
  assert.equal(toRpcError(e), e);
  assert.deepEqual({ ...toRpcError(new Error('x')) }, { ...new RpcError(1000, 'x') });
  assert.equal(toRpcError('text').code, 1000);
  assert.equal(toRpcError(42).message, 'unknown error');
});

test('docs/rpc.md and docs/configuration.md are up to date with the catalogue and the option table', () => {
  // The compiled tree this test runs from (<out>/test/unit/rpc → <out>).
  const out = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
  const root = repoRoot();
  try {
    execFileSync(process.execPath, [join(root, 'scripts', 'gen-docs.mjs'), '--dist', out, '--check'], { cwd: root, stdio: 'pipe' });
  } catch (err) {
    assert.fail(`docs are stale, run node scripts/gen-docs.mjs: ${String((err as { stderr?: Buffer }).stderr ?? err)}`);
  }
});
