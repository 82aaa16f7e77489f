import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, openSync, readFileSync, statSync, truncateSync, writeFileSync, writeSync, closeSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { open } from 'lmdb';
import { makeChain, mineEmpty, removeDir } from '../../helpers/chain.js';
import { ChainStore, StoreError } from '../../../src/chain/store.js';
import { WalletStore, WalletStoreError } from '../../../src/wallet/store.js';
import { regtest } from '../../../src/networks/index.js';
import { checkLmdbDataFile, lmdbRootPages, TRAILING_FREE_PAGES } from '../../../src/util/lmdb-file.js';
import { runCheckStore } from '../../../src/node/check-store.js';

/*
 * lmdb-js crashes the process (SIGSEGV, SIGBUS) when it maps a data file that
 * is not LMDB's or was cut short. The stores look at the file first
 * (src/util/lmdb-file.ts); every case here would kill the test process if
 * that look let it through.
 */

const PAGE = 4096;

/** Overwrite `bytes` at `position` of a file. */
function patch(path: string, position: number, bytes: Buffer): void {
  const fd = openSync(path, 'r+');
  try {
    writeSync(fd, bytes, 0, bytes.length, position);
  } finally {
    closeSync(fd);
  }
}

/** A chain store of `blocks` blocks, closed; returns its folder. */
async function chainStoreDir(blocks: number): Promise<string> {
  const tc = await makeChain();
  await mineEmpty(tc, blocks);
  await tc.close();
  return tc.dir;
}

function damaged(dir: string, what: RegExp): (err: unknown) => boolean {
  return (err: unknown) => err instanceof StoreError && err.code === 'STORE_CORRUPT' && what.test(err.message) && err.message.includes(dir);
}

test('a damaged chain store file is refused with STORE_CORRUPT before LMDB maps it; the intact copy opens', async () => {
  const source = await chainStoreDir(30);
  const work = mkdtempSync(join(tmpdir(), 'mvs-store-file-'));
  try {
    const size = statSync(join(source, 'data.mdb')).size;
    const cases: [string, (file: string) => void, RegExp][] = [
      ['100 bytes left', (f) => truncateSync(f, 100), /shorter than one LMDB meta page/],
      ['one page and a bit', (f) => truncateSync(f, PAGE + 900), /shorter than its two 4096-byte meta pages/],
      ['cut after the meta pages', (f) => truncateSync(f, 2 * PAGE + 1000), /ends at page 2, before its .* root .*cut short/],
      ['random bytes', (f) => writeFileSync(f, randomBytes(size)), /not an LMDB data file/],
      ['first page zeroed', (f) => patch(f, 0, Buffer.alloc(PAGE)), /not an LMDB data file/],
      ['second meta page zeroed', (f) => patch(f, PAGE, Buffer.alloc(PAGE)), /second meta page is damaged/],
      ['every page after the metas overwritten', (f) => patch(f, 2 * PAGE, randomBytes(size - 2 * PAGE)), /root \(page \d+\) is not a tree page/],
      [
        'another LMDB data format',
        (f) => {
          const b = Buffer.alloc(4);
          b.writeUInt32LE(3);
          patch(f, 28, b);
        },
        /LMDB data format 3; this build reads format 2/,
      ],
    ];
    for (const [name, damage, message] of cases) {
      const dir = join(work, name.replace(/\W+/g, '-'));
      cpSync(source, dir, { recursive: true });
      damage(join(dir, 'data.mdb'));
      assert.throws(() => new ChainStore({ path: dir, network: regtest, noSync: true }), damaged(dir, message), name);
    }
    // An empty data file is a new store, as LMDB treats it.
    const empty = join(work, 'empty');
    cpSync(source, empty, { recursive: true });
    truncateSync(join(empty, 'data.mdb'), 0);
    const fresh = new ChainStore({ path: empty, network: regtest, noSync: true });
    assert.equal(fresh.getTipHash(), null, 'an empty file opens as a new store');
    await fresh.close();
    // The source itself was never touched.
    const tc = await makeChain({ dir: source });
    assert.equal(tc.chain.height, 30);
    await tc.close();
  } finally {
    removeDir(work);
    removeDir(source);
  }
});

test('a data file cut to a quarter of its size is refused by its page count', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'mvs-store-file-'));
  try {
    const env = open({ path: dir, maxDbs: 2, noSync: true, encoding: 'binary', keyEncoding: 'binary' });
    const db = env.openDB<Buffer, Buffer>('t', { encoding: 'binary', keyEncoding: 'binary' });
    for (let t = 0; t < 8; t++) {
      env.transactionSync(() => {
        for (let i = 0; i < 100; i++) db.putSync(randomBytes(32), randomBytes(5000));
      });
    }
    await env.close();
    const file = join(dir, 'data.mdb');
    const size = statSync(file).size;
    const head = readFileSync(file).subarray(0, 2 * PAGE);
    // mm_last_pg of each meta (page header 24 ‖ magic, version, address, mapsize 24 ‖ two MDB_db of 48).
    const lastPage = Math.max(Number(head.readBigUInt64LE(144)), Number(head.readBigUInt64LE(PAGE + 144)));
    assert.ok(lastPage + 1 > Math.floor(size / 4 / PAGE) + TRAILING_FREE_PAGES, `file large enough for the page-count rule (${lastPage + 1} pages)`);
    truncateSync(file, Math.floor(size / 4));
    const problem = checkLmdbDataFile(dir);
    assert.equal(problem?.kind, 'truncated');
    assert.match(problem?.message ?? '', new RegExp(`its meta page counts ${lastPage + 1} pages of 4096 bytes .* cut short`));
  } finally {
    removeDir(dir);
  }
});

test('no healthy LMDB file is refused: 400 transactions of random puts, overflow values and deletes', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'mvs-store-file-'));
  try {
    const env = open({ path: dir, maxDbs: 4, noSync: true, encoding: 'binary', keyEncoding: 'binary' });
    const dbs = ['a', 'b', 'c'].map((n) => env.openDB<Buffer, Buffer>(n, { encoding: 'binary', keyEncoding: 'binary' }));
    let seed = 7;
    const rand = (n: number) => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed % n;
    };
    const live: Buffer[][] = [[], [], []];
    for (let t = 0; t < 400; t++) {
      env.transactionSync(() => {
        const ops = 1 + rand(300);
        for (let i = 0; i < ops; i++) {
          const d = rand(3);
          if (live[d].length > 0 && rand(3) === 0) {
            const [key] = live[d].splice(rand(live[d].length), 1);
            dbs[d].removeSync(key);
          } else {
            const key = randomBytes(4 + rand(60));
            // Mostly small values; now and then one that takes overflow pages.
            const value = randomBytes(rand(10) === 0 ? 4096 + rand(30_000) : rand(200));
            dbs[d].putSync(key, value);
            live[d].push(key);
          }
        }
      });
      assert.equal(checkLmdbDataFile(dir), null, `after transaction ${t}`);
    }
    await env.close();
  } finally {
    removeDir(dir);
  }
});

test('a damaged wallet store file is refused with STORE_CORRUPT', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'mvs-wallet-file-'));
  try {
    mkdirSync(dir, { recursive: true });
    const store = new WalletStore({ path: dir, networkName: 'regtest', noSync: true });
    await store.close();
    writeFileSync(join(dir, 'data.mdb'), randomBytes(3 * PAGE));
    assert.throws(
      () => new WalletStore({ path: dir, networkName: 'regtest', noSync: true }),
      (err: unknown) => err instanceof WalletStoreError && err.code === 'STORE_CORRUPT' && /wallet store at .* is damaged: data.mdb is not an LMDB data file/.test(err.message),
    );
  } finally {
    removeDir(dir);
  }
});

test('mvsd check-store reads every page: a whole store passes, one damaged below its roots is found', async () => {
  const root = mkdtempSync(join(tmpdir(), 'mvs-check-store-'));
  try {
    const chainDir = join(root, 'regtest', 'chain');
    mkdirSync(chainDir, { recursive: true });
    const tc = await makeChain({ dir: chainDir });
    await mineEmpty(tc, 30);
    await tc.close();
    const args = ['--network', 'regtest', '--datadir', root];
    const whole: string[] = [];
    assert.equal(await runCheckStore(args, (l) => whole.push(l)), 0, whole.join('\n'));
    assert.ok(whole.includes('chain store: every page read'), whole.join('\n'));
    assert.ok(whole.some((l) => /^ {2}header: 31 entries, \d+ bytes$/.test(l)), 'the header table: genesis and 30 blocks');
    assert.ok(whole.some((l) => /^wallet store: none at /.test(l)));

    // Every page but the meta pages and the roots overwritten: the opening check passes, the walk does not.
    const file = join(chainDir, 'data.mdb');
    const roots = new Set(lmdbRootPages(chainDir));
    assert.ok(roots.size >= 12, 'free-page tree, main tree and the tables');
    const pages = statSync(file).size / PAGE;
    for (let p = 2; p < pages; p++) if (!roots.has(p)) patch(file, p * PAGE, randomBytes(PAGE));
    assert.equal(checkLmdbDataFile(chainDir), null, 'metas and roots are whole');
    const damagedLines: string[] = [];
    assert.equal(await runCheckStore(args, (l) => damagedLines.push(l)), 1);
    assert.ok(damagedLines.some((l) => /^chain store at .* is damaged: reading table '\w+', the reader (died of SIG\w+|failed)/.test(l)), damagedLines.join('\n'));
    assert.match(damagedLines[damagedLines.length - 1], /Move a damaged store folder aside/);
  } finally {
    removeDir(root);
  }
});
