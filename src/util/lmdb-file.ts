import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { join } from 'node:path';

/**
 * A look at an LMDB environment's data file before LMDB maps it. lmdb-js
 * crashes the process — SIGSEGV inside `open()` for a file that is not an
 * LMDB file, SIGBUS on the first read of a page past the end of a truncated
 * one — where it should return an error (docs/storage.md, "Damaged files").
 * This reads the two meta pages the way mdb_env_read_header does and refuses
 * what would crash, so a store opened after it gets a clear error instead.
 *
 * Offsets follow lmdb-js 3.x's liblmdb (dependencies/lmdb/libraries/liblmdb/
 * mdb.c): a 24-byte page header (pgno u64, txnid u64, pad u16, flags u16,
 * lower/upper u16) and MDB_meta after it (magic u32, version u32, address u64,
 * mapsize u64, the free and main MDB_db of 48 bytes each, last_pg u64,
 * txnid u64). All little-endian on the platforms we ship for.
 */

const PAGE_HEADER = 24;
const P_BRANCH = 0x01;
const P_LEAF = 0x02;
const P_META = 0x08;
/** A main-tree node whose data is a named database's MDB_db record. */
const F_SUBDATA = 0x02;
const NODE_HEADER = 8;
const DB_RECORD = 48;
const DB_ROOT_AT = 40;
const MDB_MAGIC = 0xbeefc0de;
/** MDB_DATA_VERSION of lmdb-js 3.x's liblmdb. */
export const LMDB_DATA_VERSION = 2;
/** Offsets inside a meta page, from the start of the page. */
const FLAGS_AT = 18;
const MAGIC_AT = PAGE_HEADER;
const VERSION_AT = PAGE_HEADER + 4;
/** mm_psize is the free DB's md_pad. */
const PAGE_SIZE_AT = PAGE_HEADER + 24;
const FREE_ROOT_AT = PAGE_HEADER + 24 + 40;
const MAIN_ROOT_AT = PAGE_HEADER + 24 + 48 + 40;
const LAST_PAGE_AT = PAGE_HEADER + 24 + 96;
const TXNID_AT = LAST_PAGE_AT + 8;
const META_BYTES = TXNID_AT + 8;
/** md_root of an empty database. */
const NO_PAGE = 0xffff_ffff_ffff_ffffn;
/**
 * LMDB does not write a page that a transaction allocated and freed again
 * (a "loose" page), so a healthy file may end a few pages before its last
 * page number. A shortfall beyond this many pages is a truncated file.
 */
export const TRAILING_FREE_PAGES = 256;

export type LmdbFileProblemKind = 'not_lmdb' | 'format' | 'truncated' | 'damaged';

export interface LmdbFileProblem {
  kind: LmdbFileProblemKind;
  message: string;
}

interface Meta {
  lastPage: bigint;
  txnid: bigint;
  freeRoot: bigint;
  mainRoot: bigint;
}

function readAt(fd: number, length: number, position: number): Buffer {
  const buf = Buffer.alloc(length);
  let got = 0;
  while (got < length) {
    const n = readSync(fd, buf, got, length - got, position + got);
    if (n === 0) break;
    got += n;
  }
  return got === length ? buf : buf.subarray(0, got);
}

function isMetaPage(page: Buffer): boolean {
  return page.length >= META_BYTES && (page.readUInt16LE(FLAGS_AT) & P_META) !== 0 && page.readUInt32LE(MAGIC_AT) === MDB_MAGIC;
}

function readMeta(page: Buffer): Meta {
  return {
    lastPage: page.readBigUInt64LE(LAST_PAGE_AT),
    txnid: page.readBigUInt64LE(TXNID_AT),
    freeRoot: page.readBigUInt64LE(FREE_ROOT_AT),
    mainRoot: page.readBigUInt64LE(MAIN_ROOT_AT),
  };
}

/**
 * The roots of the named databases a main-tree leaf lists (lmdb-js's liblmdb
 * counts mp_lower and node offsets from the end of the page header). Nodes
 * that are not database records, or do not fit the page, are passed over:
 * this check only refuses what it can read.
 */
function namedDatabaseRoots(page: Buffer): [string, bigint][] {
  const lower = page.readUInt16LE(FLAGS_AT + 2);
  const count = lower >> 1;
  const roots: [string, bigint][] = [];
  for (let k = 0; k < count && PAGE_HEADER + 2 * k + 2 <= page.length; k++) {
    const at = PAGE_HEADER + page.readUInt16LE(PAGE_HEADER + 2 * k);
    if (at + NODE_HEADER > page.length) continue;
    const dataSize = page.readUInt16LE(at) | (page.readUInt16LE(at + 2) << 16);
    const nodeFlags = page.readUInt16LE(at + 4);
    const keySize = page.readUInt16LE(at + 6);
    const data = at + NODE_HEADER + keySize;
    if ((nodeFlags & F_SUBDATA) === 0 || dataSize !== DB_RECORD || data + DB_RECORD > page.length) continue;
    const name = page.toString('latin1', at + NODE_HEADER, at + NODE_HEADER + keySize).replace(/\0+$/, '');
    roots.push([`'${name}' table`, page.readBigUInt64LE(data + DB_ROOT_AT)]);
  }
  return roots;
}

/**
 * What is wrong with `<dir>/data.mdb`, or null when LMDB can open it safely
 * (it is missing or empty — LMDB makes a new one — or its meta pages are whole
 * and its pages are all in the file). Throws only what reading the file throws
 * (permissions, I/O errors); the caller reports that as it reports open errors.
 */
export function checkLmdbDataFile(dir: string): LmdbFileProblem | null {
  return inspect(dir).problem;
}

/**
 * Why a store must not open `<dir>` with LMDB, or null: STORE_CORRUPT with what
 * checkLmdbDataFile found, or STORE_IO when the file cannot be read at all;
 * `detail` completes "<which> store at <dir> …". The stores and `mvsd
 * check-store` turn this into their own errors.
 */
export function lmdbOpenRefusal(dir: string): { code: 'STORE_IO' | 'STORE_CORRUPT'; detail: string } | null {
  try {
    const problem = checkLmdbDataFile(dir);
    return problem ? { code: 'STORE_CORRUPT', detail: `is damaged: ${problem.message}` } : null;
  } catch (err) {
    return { code: 'STORE_IO', detail: `cannot be read: ${(err as Error).message}` };
  }
}

/**
 * The page numbers of the tree roots checkLmdbDataFile looked at (the free-page tree, the main
 * tree, each named table), when the file passed; tests use them to damage other pages only.
 */
export function lmdbRootPages(dir: string): number[] {
  const { problem, roots } = inspect(dir);
  return problem ? [] : roots;
}

function inspect(dir: string): { problem: LmdbFileProblem | null; roots: number[] } {
  const seenRoots: number[] = [];
  const fail = (kind: LmdbFileProblemKind, message: string) => ({ problem: { kind, message }, roots: seenRoots });
  const ok = { problem: null, roots: seenRoots };
  const path = join(dir, 'data.mdb');
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return ok;
    throw err;
  }
  try {
    const size = fstatSync(fd).size;
    if (size === 0) return ok;
    const first = readAt(fd, META_BYTES, 0);
    if (first.length < META_BYTES) return fail('truncated', `data.mdb is ${size} bytes, shorter than one LMDB meta page`);
    if (!isMetaPage(first)) return fail('not_lmdb', 'data.mdb is not an LMDB data file (no meta page at its start)');
    const version = first.readUInt32LE(VERSION_AT) & 0xffff;
    if (version !== LMDB_DATA_VERSION) {
      return fail('format', `data.mdb has LMDB data format ${version}; this build reads format ${LMDB_DATA_VERSION}`);
    }
    const pageSize = first.readUInt32LE(PAGE_SIZE_AT);
    if (pageSize < 512 || pageSize > 65536 || (pageSize & (pageSize - 1)) !== 0) {
      return fail('damaged', `data.mdb's meta page gives a page size of ${pageSize}`);
    }
    if (size < 2 * pageSize) return fail('truncated', `data.mdb is ${size} bytes, shorter than its two ${pageSize}-byte meta pages`);
    const second = readAt(fd, META_BYTES, pageSize);
    if (!isMetaPage(second) || second.readBigUInt64LE(0) !== 1n) return fail('damaged', "data.mdb's second meta page is damaged");
    const metas = [readMeta(first), readMeta(second)];
    const pages = BigInt(Math.floor(size / pageSize));
    const lastPage = metas[0].lastPage > metas[1].lastPage ? metas[0].lastPage : metas[1].lastPage;
    if (lastPage + 1n > pages + BigInt(TRAILING_FREE_PAGES)) {
      return fail('truncated', `data.mdb is ${size} bytes but its meta page counts ${lastPage + 1n} pages of ${pageSize} bytes (${(lastPage + 1n) * BigInt(pageSize)} bytes): the file was cut short`);
    }
    // The newest snapshot's roots — its free-page tree, its main tree and every named database
    // the main tree lists — must be in the file and be tree pages: LMDB reads them first.
    const newest = metas[0].txnid >= metas[1].txnid ? metas[0] : metas[1];
    const roots: [string, bigint][] = [
      ['free-page tree', newest.freeRoot],
      ['main tree', newest.mainRoot],
    ];
    for (let i = 0; i < roots.length; i++) {
      const [name, root] = roots[i];
      if (root === NO_PAGE) continue;
      if (root > newest.lastPage) return fail('damaged', `data.mdb's ${name} root (page ${root}) is past its last page (${newest.lastPage})`);
      if (root >= pages) return fail('truncated', `data.mdb ends at page ${pages}, before its ${name} root (page ${root}): the file was cut short`);
      const page = readAt(fd, pageSize, Number(root) * pageSize);
      const flags = page.readUInt16LE(FLAGS_AT);
      if (page.readBigUInt64LE(0) !== root || (flags & (P_BRANCH | P_LEAF)) === 0 || (flags & P_META) !== 0) {
        return fail('damaged', `data.mdb's ${name} root (page ${root}) is not a tree page`);
      }
      seenRoots.push(Number(root));
      if (i === 1 && (flags & P_LEAF) !== 0) roots.push(...namedDatabaseRoots(page));
    }
    return ok;
  } finally {
    closeSync(fd);
  }
}
