/**
 * The transaction / block formatter against mvsd JSON printed in the docs
 * (transactions.json `source_json`, blocks.json, headers.json). The API
 * version of each example is read from its own types: v1 prints every number
 * as a string, v2/v3 as numbers (TX objects are identical in v2 and v3).
 *
 * Examples that are not a faithful print of their own bytes are named below
 * with the reason, and only what is sound is asserted for them.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadVector } from '../helpers/vectors.js';
import { Transaction } from '../../src/primitives/transaction.js';
import { Block } from '../../src/primitives/block.js';
import { BlockHeader } from '../../src/primitives/header.js';
import { Script } from '../../src/primitives/script.js';
import { Address } from '../../src/primitives/address.js';
import { mainnet, testnet } from '../../src/networks/index.js';
import { formatTransaction, formatBlock, formatHeader, exactInteger, type FormatContext } from '../../src/rpc/format.js';
import { parseJson, stringifyJson } from '../../src/rpc/json.js';
import type { ApiVersion } from '../../src/rpc/params.js';

interface Diff {
  path: string;
  kind: 'missing' | 'extra' | 'value';
  ours?: unknown;
  doc?: unknown;
}

/** Field-by-field comparison of our JSON (re-parsed from text, as a client sees it) with the documented JSON. */
function compare(ours: unknown, doc: unknown, path = ''): Diff[] {
  if (ours === null || doc === null || typeof ours !== 'object' || typeof doc !== 'object') {
    return stringifyJson(ours) === stringifyJson(doc) ? [] : [{ path, kind: 'value', ours, doc }];
  }
  const diffs: Diff[] = [];
  const o = ours as Record<string, unknown>;
  const d = doc as Record<string, unknown>;
  for (const k of new Set([...Object.keys(o), ...Object.keys(d)])) {
    if (!(k in o)) diffs.push({ path: `${path}.${k}`, kind: 'missing', doc: d[k] });
    else if (!(k in d)) diffs.push({ path: `${path}.${k}`, kind: 'extra', ours: o[k] });
    else diffs.push(...compare(o[k], d[k], `${path}.${k}`));
  }
  return diffs;
}

function roundTrip(v: unknown): unknown {
  return parseJson(stringifyJson(v));
}

function versionOf(doc: any): ApiVersion {
  return typeof doc.inputs?.[0]?.sequence === 'string' || typeof doc.version === 'string' && typeof doc.number === 'string' ? 1 : 3;
}

function networkOf(doc: unknown) {
  return /"t[1-9A-HJ-NP-Za-km-z]{33}"/.test(JSON.stringify(doc)) ? testnet : mainnet;
}

/**
 * Docs pages written for older releases (source/api/*, and one v1-format
 * example under api_v2/blockchain.md): they predate fields the serializer
 * added later — `locked_height_range` on outputs (deposits), and
 * `secondaryissue_threshold` / `is_secondaryissue` on asset-issue
 * attachments. Everything they do print must match.
 */
const OLDER_RELEASE_FIELDS = new Set(['locked_height_range', 'secondaryissue_threshold', 'is_secondaryissue']);

/**
 * api_v2/identity.md: the stated hash matches these bytes, whose attachments
 * are version 1 (no DID strings), yet the page shows `from_did` / `to_did`
 * on them, and for tx 1635ced4… prints the output address of hash160
 * 9b243c66… as M9kDHsDK…, which is not that hash (tx 554586c3… prints the
 * same script as MN3UNt5F…, as we do): hand-edited examples.
 */
const HAND_EDITED_DID = new Set([
  '1635ced4e1ca2eff77de775238c9a1b24ba399661424742fe5be10a2b018e169',
  '554586c33edc5b264192d2ab596d78dd9a16acebfef8704edcc04627f966553c',
]);

/**
 * developers/mpc1-transaction-updation.md prints coinbase input scripts
 * parsed (`[ b68e0f ]`), i.e. from a coinbase built in memory by the
 * miner. mvsd deserializes a coinbase script in raw_data mode
 * (src/lib/bitcoin/chain/input.cpp: null prevout → parse_mode::raw_data) and
 * so prints the stored bytes whole (`[ 03b68e0f ]`), as the other docs pages
 * show (api_v3/websocket.md `[ 03708c09 ]`, api/blocks.md the genesis text).
 * The code wins; we assert the doc's text is the parse of the same bytes.
 */
const IN_MEMORY_COINBASE = new Set([
  '0ca5c0e285c180256b44eae94d570fc67366c52ed4fa62a4dd9e9c07e3eddc99',
  'e7a25724eccc05fb5f36d14c6e851037dd9e3c9f5002853c2e623e7a64b790f8',
]);

test('transactions: our JSON equals the mvsd JSON of every documented transaction', (t) => {
  const v = loadVector(t, 'transactions.json');
  if (!v) return;
  const documented = v.transactions.filter((e: any) => e.source_json);
  assert.equal(documented.length, 47);
  let exact = 0;
  const explained: string[] = [];
  for (const e of documented) {
    const doc = e.source_json;
    const apiVersion = versionOf(doc);
    const net = networkOf(doc);
    const ctx: FormatContext = { apiVersion, addresses: net.address };
    const tx = Transaction.fromHex(e.hex);
    const height = doc.height === undefined ? undefined : Number(doc.height);
    const ours = roundTrip(formatTransaction(tx, ctx, { height })) as any;
    const diffs = compare(ours, doc);
    const where = `${e.hash.slice(0, 12)} (${e.source.split(': ')[1]}, v${apiVersion})`;
    if (diffs.length === 0) {
      exact++;
      continue;
    }
    const olderRelease = e.source.includes('source/api/') || e.source.endsWith('api_v2/blockchain.md');
    if (olderRelease) {
      for (const d of diffs) {
        assert.equal(d.kind, 'extra', `${where}: ${d.path} differs`);
        assert.ok(OLDER_RELEASE_FIELDS.has(d.path.split('.').pop()!), `${where}: unexpected extra field ${d.path}`);
      }
      explained.push(`${where}: older release, lacks ${[...new Set(diffs.map((d) => d.path.split('.').pop()))].join('/')}`);
      continue;
    }
    if (HAND_EDITED_DID.has(e.hash)) {
      for (const d of diffs) {
        const m = /^\.outputs\.(\d+)\.(.+)$/.exec(d.path);
        assert.ok(m, `${where}: ${d.path}`);
        const out = tx.outputs[Number(m[1])];
        if (d.kind === 'missing') {
          assert.ok(m[2] === 'attachment.from_did' || m[2] === 'attachment.to_did', `${where}: ${d.path}`);
          assert.equal(out.attachment.version, 1, 'the bytes carry no DID strings');
        } else {
          assert.equal(m[2], 'address', `${where}: ${d.path}`);
          const docHash = Address.fromString(String(d.doc)).hash;
          assert.ok(!docHash.equals(out.script.getPubkeyHash()!), 'the documented address is not the one its script pays');
          assert.ok(Address.fromString(String(d.ours)).hash.equals(out.script.getPubkeyHash()!), 'ours is');
        }
      }
      explained.push(`${where}: hand-edited DID fields / address`);
      continue;
    }
    if (IN_MEMORY_COINBASE.has(e.hash)) {
      assert.equal(diffs.length, 1, `${where}: ${JSON.stringify(diffs)}`);
      assert.equal(diffs[0].path, '.inputs.0.script');
      assert.ok(tx.isCoinbase());
      const raw = tx.inputs[0].script;
      assert.equal(diffs[0].ours, `[ ${raw.toHex()} ]`);
      assert.equal(diffs[0].doc, new Script(raw.raw).toAsm());
      explained.push(`${where}: coinbase script printed from an in-memory block`);
      continue;
    }
    assert.fail(`${where}: unexplained differences ${JSON.stringify(diffs).slice(0, 600)}`);
  }
  t.diagnostic(`exact matches: ${exact} of 47; explained: ${explained.length}`);
  for (const x of explained) t.diagnostic(x);
  assert.equal(exact + explained.length, 47);
  assert.ok(exact >= 35, `at least 35 exact matches (got ${exact})`);
});

test('decoderawtx of all 113 transactions: hash, counts and a JSON round trip in every API version', (t) => {
  const v = loadVector(t, 'transactions.json');
  if (!v) return;
  assert.equal(v.transactions.length, 113);
  for (const e of v.transactions) {
    const tx = Transaction.fromHex(e.hex);
    const net = e.network === 'testnet' ? testnet : mainnet;
    for (const apiVersion of [1, 2, 3] as const) {
      const out = roundTrip(formatTransaction(tx, { apiVersion, addresses: net.address })) as any;
      assert.equal(out.hash, e.hash);
      assert.equal(out.inputs.length, e.inputs);
      assert.equal(apiVersion === 1 && e.outputs === 0 ? out.outputs : out.outputs.length, apiVersion === 1 && e.outputs === 0 ? '' : e.outputs);
      assert.equal(out.lock_time, String(e.lock_time));
      assert.equal(out.version, String(e.tx_version));
      assert.equal(out.height, undefined);
      for (const [i, o] of (out.outputs as any[]).entries()) {
        assert.equal(o.index, apiVersion === 1 ? String(i) : i);
        assert.equal(typeof o.attachment.type, 'string');
        assert.equal(o.value, apiVersion === 1 ? tx.outputs[i].value.toString() : exactInteger(tx.outputs[i].value));
      }
    }
  }
});

test('blocks and headers: our HDR / BLK equal the documented mvsd JSON', (t) => {
  const blocks = loadVector(t, 'blocks.json');
  const headers = loadVector(t, 'headers.json');
  if (!blocks || !headers) return;
  const byName = (list: any[], name: string) => list.find((e) => e.name.startsWith(name));

  // api_v3/websocket.md: a v3 BLK with its transaction objects, exactly.
  const b625776 = byName(blocks.blocks, 'testnet PoW block 625776');
  const ctx3: FormatContext = { apiVersion: 3, addresses: testnet.address };
  assert.deepEqual(compare(roundTrip(formatBlock(Block.fromHex(b625776.hex), ctx3)), b625776.source_json), []);

  // mpc1 page: a v3 PoS block with blocksig; only its in-memory coinbase script differs (see above).
  const b1019574 = byName(blocks.blocks, 'testnet PoS block 1019574');
  const pos = Block.fromHex(b1019574.hex);
  const diffs = compare(roundTrip(formatBlock(pos, ctx3)), b1019574.source_json);
  assert.deepEqual(diffs.map((d) => d.path), ['.transactions.0.inputs.0.script']);
  assert.equal(diffs[0].ours, `[ ${pos.txs[0].inputs[0].script.toHex()} ]`);

  // api/blocks.md (v1, from getblockheader: no transaction count known).
  const tg = byName(blocks.blocks, 'testnet genesis');
  const v1 = formatHeader(Block.fromHex(tg.hex).header, 0, { apiVersion: 1, addresses: testnet.address });
  assert.deepEqual(compare(roundTrip(v1), tg.source_json), []);

  // api_v3/block.md genesis: written before v3 renamed time_stamp to timestamp; the
  // page shows the header part only. Same values under the older name.
  const mg = byName(blocks.blocks, 'mainnet genesis');
  const hdr = roundTrip(formatHeader(Block.fromHex(mg.hex).header, 1, { apiVersion: 3, addresses: mainnet.address })) as any;
  const { time_stamp, ...rest } = mg.source_json;
  const { timestamp, ...ours } = hdr;
  assert.equal(timestamp, time_stamp);
  assert.deepEqual(ours, rest);
  const v2 = roundTrip(formatHeader(Block.fromHex(mg.hex).header, 1, { apiVersion: 2, addresses: mainnet.address }));
  assert.deepEqual(compare(v2, mg.source_json), []);

  // api_v2/block.md header #1 (v1 strings) and the mpc1 header #991505 (v3 fields of its BLK).
  const h1 = byName(headers.headers, 'header #1');
  assert.deepEqual(compare(roundTrip(formatHeader(BlockHeader.fromHex(h1.hex), 0, { apiVersion: 1, addresses: mainnet.address })), h1.source_json), []);
  const h991505 = byName(headers.headers, 'header #991505');
  const full = roundTrip(formatHeader(BlockHeader.fromHex(h991505.hex), 3, { apiVersion: 3, addresses: testnet.address })) as any;
  for (const [k, val] of Object.entries(full)) assert.deepEqual(val, h991505.source_json[k], k);

  // v1/v2 getblock nesting.
  const nested = formatBlock(Block.fromHex(b625776.hex), { apiVersion: 2, addresses: testnet.address }) as any;
  assert.equal(nested.header.result.hash, b625776.hash);
  assert.equal(nested.header.result.time_stamp, 1534935094);
  assert.equal(nested.txs.transactions[0].hash, b625776.transaction_hashes[0]);
  const raw = formatBlock(Block.fromHex(b625776.hex), ctx3, { txJson: false }) as any;
  assert.equal(raw.transactions[0], Block.fromHex(b625776.hex).txs[0].toHex());
});
