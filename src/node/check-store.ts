import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { open, type Database } from 'lmdb';
import { loadConfig, ConfigError, ConfigHelpRequested } from './config.js';
import { TABLES } from '../chain/layout.js';
import { WALLET_TABLES } from '../wallet/store.js';
import { lmdbOpenRefusal } from '../util/lmdb-file.js';

/**
 * `mvsd check-store [node options]`: reads every page of the node's stores
 * (docs/storage.md, "Damaged files"). LMDB keeps no page checksums, and
 * lmdb-js crashes the process on a damaged page instead of failing, so the
 * opening check cannot see damage deep inside a file and a node would die of
 * SIGSEGV when it reached it. This reads every key and value of every table
 * in a child process and reports the table where the child died, if it did.
 * Run it on a stopped node's datadir. Exit code 0: whole; 1: damaged; 2:
 * bad options.
 */

const STORES: readonly { name: 'chain' | 'wallet'; tables: readonly string[] }[] = [
  { name: 'chain', tables: TABLES },
  { name: 'wallet', tables: WALLET_TABLES },
];
const SELF = fileURLToPath(import.meta.url);
const PROGRESS_EVERY = 1_000_000;

/** The child: walk `tables` of the environment at `path`, one line per table as it starts and ends. */
async function walk(path: string, tables: readonly string[]): Promise<void> {
  const env = open({ path, readOnly: true, maxDbs: tables.length + 4, encoding: 'binary', keyEncoding: 'binary' });
  for (const table of tables) {
    process.stdout.write(`table ${table}\n`);
    // Read-only, a table the store never created is not opened (lmdb-js returns nothing).
    const db: Database<Buffer, Buffer> | undefined = env.openDB<Buffer, Buffer>(table, { encoding: 'binary', keyEncoding: 'binary' });
    if (!db) {
      process.stdout.write(`absent ${table}\n`);
      continue;
    }
    let entries = 0;
    let bytes = 0;
    for (const { key, value } of db.getRange({})) {
      entries++;
      bytes += key.length + value.length;
      if (entries % PROGRESS_EVERY === 0) process.stdout.write(`progress ${table} ${entries}\n`);
    }
    // A damaged leaf can end the walk early without an error: LMDB's own count must match.
    const counted = (db.getStats() as { entryCount: number }).entryCount;
    if (counted !== entries) throw new Error(`table '${table}' holds ${counted} entries by its own count but ${entries} could be read`);
    process.stdout.write(`done ${table} ${entries} ${bytes}\n`);
  }
  await env.close();
}

interface WalkResult {
  ok: boolean;
  /** The table being read when the child stopped, if it stopped early. */
  table: string | null;
  detail: string;
}

function walkInChild(path: string, tables: readonly string[], out: (line: string) => void): Promise<WalkResult> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [SELF, '--walk', path, tables.join(',')], { stdio: ['ignore', 'pipe', 'pipe'] });
    let table: string | null = null;
    let stderr = '';
    let buffered = '';
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => {
      buffered += chunk;
      let nl: number;
      while ((nl = buffered.indexOf('\n')) >= 0) {
        const line = buffered.slice(0, nl);
        buffered = buffered.slice(nl + 1);
        const [kind, name, a, b] = line.split(' ');
        if (kind === 'table') table = name;
        else if (kind === 'progress') out(`  ${name}: ${a} entries read…`);
        else if (kind === 'absent') {
          out(`  ${name}: not in this store`);
          table = null;
        }
        else if (kind === 'done') {
          out(`  ${name}: ${a} entries, ${b} bytes`);
          table = null;
        }
      }
    });
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (chunk: string) => {
      if (stderr.length < 4096) stderr += chunk;
    });
    child.on('exit', (code, signal) => {
      if (code === 0 && table === null) resolve({ ok: true, table: null, detail: '' });
      else {
        const how = signal ? `the reader died of ${signal}` : `the reader failed (exit ${code}): ${stderr.trim().split('\n').slice(-1)[0] ?? ''}`;
        resolve({ ok: false, table, detail: how });
      }
    });
  });
}

export async function runCheckStore(argv: string[], out: (line: string) => void = (l) => process.stdout.write(l + '\n')): Promise<number> {
  let datadir: string;
  try {
    datadir = loadConfig(argv, process.env).datadir;
  } catch (err) {
    if (err instanceof ConfigHelpRequested) {
      out('Usage: mvsd check-store [--network main|test|regtest] [--datadir PATH]\nReads every page of the chain and wallet stores of a stopped node.');
      return 0;
    }
    if (err instanceof ConfigError) {
      process.stderr.write(`mvsd check-store: ${err.message}\n`);
      return 2;
    }
    throw err;
  }
  let damaged = false;
  for (const store of STORES) {
    const path = join(datadir, store.name);
    if (!existsSync(join(path, 'data.mdb'))) {
      out(`${store.name} store: none at ${path}`);
      continue;
    }
    const refusal = lmdbOpenRefusal(path);
    if (refusal) {
      out(`${store.name} store at ${path} ${refusal.detail}`);
      damaged = true;
      continue;
    }
    out(`${store.name} store at ${path}:`);
    const result = await walkInChild(path, store.tables, out);
    if (result.ok) out(`${store.name} store: every page read`);
    else {
      out(`${store.name} store at ${path} is damaged: ${result.table ? `reading table '${result.table}', ` : ''}${result.detail}`);
      damaged = true;
    }
  }
  if (damaged) out('Move a damaged store folder aside (the chain then syncs again from the network; a wallet is restored from its mnemonics) or restore a copy.');
  return damaged ? 1 : 0;
}

// The child process of walkInChild.
if (process.argv[1] === SELF && process.argv[2] === '--walk') {
  walk(process.argv[3], process.argv[4].split(',')).catch((err: unknown) => {
    process.stderr.write(`${(err as Error)?.message ?? err}\n`);
    process.exit(1);
  });
}
