/**
 * Node configuration: ONE option table feeding the command line (commander),
 * environment variables (MVSD_<NAME>), an INI config file (`--config <path>`,
 * sections such as [network], [server], [log], plus the reference's mvs.conf
 * keys where one exists — mvs-org/metaverse: etc/mvs.conf,
 * src/mvsd/server/parser.cpp) and defaults. Precedence: CLI > env > file >
 * default. scripts/gen-docs.mjs renders the same table as docs/configuration.md.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { isAbsolute, join, resolve } from 'node:path';
import { Command, CommanderError, Option } from 'commander';
import { networks, type NetworkName } from '../networks/index.js';
import { parseLevelSpec } from '../util/logger.js';

export interface HostPort {
  host: string;
  port: number;
}

export type LogFormat = 'human' | 'json';

/** The settings one option can carry, by option key. */
export interface ConfigValues {
  network: NetworkName;
  datadir: string;
  config: string | null;
  rpcBind: HostPort;
  wsBind: HostPort;
  ws: boolean;
  bind: string;
  port: number;
  listen: boolean;
  connect: string[];
  addnode: string[];
  maxpeers: number;
  logLevel: string;
  logFormat: LogFormat;
  wallet: boolean;
  rpcMaxBody: number;
  rpcMaxConnections: number;
  wsQueueLimit: number;
  wsQueueMessages: number;
  wsMaxConnections: number;
  /** Worker threads for Ethash verification and mining (0 = one per core). */
  ethashThreads: number;
  /** Worker threads for script verification (0 = one per core). */
  scriptThreads: number;
}

export type ConfigKey = keyof ConfigValues;
export type ConfigSource = 'cli' | 'env' | 'file' | 'default';

export interface NodeConfig extends ConfigValues {
  /** Root data folder (--datadir, default ~/.mvs-node); `datadir` is its per-network subfolder. */
  datadirRoot: string;
  /** Where each value came from. */
  sources: Record<ConfigKey, ConfigSource>;
  /** Config-file keys that were ignored (reference mvs.conf settings this node does not implement). */
  warnings: string[];
}

type Kind = 'network' | 'path' | 'hostport' | 'host' | 'port' | 'uint' | 'bool' | 'size' | 'hostport-list' | 'loglevel' | 'logformat';

export interface ConfigOption {
  key: ConfigKey;
  /** Long flag without dashes. */
  flag: string;
  /** Value placeholder in help, e.g. "host:port". Absent for booleans. */
  valueName?: string;
  kind: Kind;
  description: string;
  /** Default as shown in docs and help. */
  defaultText: string;
  /** Environment variable (MVSD_<NAME>); absent for options that cannot come from it. */
  env?: string;
  /** Config-file key as `section.key` (or `key` before any section). */
  file?: string;
  /** The reference's mvs.conf keys read as this option. */
  fileAliases?: string[];
  /** Boolean with both --flag and --no-flag. */
  negatable?: boolean;
}

/** The option table (order = help and docs order). */
export const CONFIG_OPTIONS: readonly ConfigOption[] = [
  { key: 'network', flag: 'network', valueName: 'main|test|regtest', kind: 'network', defaultText: 'main', env: 'MVSD_NETWORK', file: 'network', description: 'Chain to follow: main, test or regtest (the reference private chain).' },
  { key: 'datadir', flag: 'datadir', valueName: 'path', kind: 'path', defaultText: '~/.mvs-node', env: 'MVSD_DATADIR', file: 'datadir', description: 'Root data folder; the node keeps each network in its own subfolder (<datadir>/<network>).' },
  { key: 'config', flag: 'config', valueName: 'path', kind: 'path', defaultText: 'none', env: 'MVSD_CONFIG', description: 'INI configuration file to read (mvs.conf keys are understood where they have an equivalent).' },
  { key: 'rpcBind', flag: 'rpc-bind', valueName: 'host:port', kind: 'hostport', defaultText: '127.0.0.1:8820', env: 'MVSD_RPC_BIND', file: 'server.rpc_bind', fileAliases: ['server.mongoose_listen'], description: 'JSON-RPC listen address (/rpc/v3, /rpc/v2, /rpc).' },
  { key: 'wsBind', flag: 'ws-bind', valueName: 'host:port', kind: 'hostport', defaultText: '127.0.0.1:8821', env: 'MVSD_WS_BIND', file: 'server.ws_bind', fileAliases: ['server.websocket_listen'], description: 'Websocket push service listen address.' },
  { key: 'ws', flag: 'ws', kind: 'bool', negatable: true, defaultText: 'true', env: 'MVSD_WS', file: 'server.ws', fileAliases: ['server.websocket_service_enabled'], description: 'Run the websocket push service (--no-ws disables it).' },
  { key: 'bind', flag: 'bind', valueName: 'host', kind: 'host', defaultText: '0.0.0.0', env: 'MVSD_BIND', file: 'network.bind', description: 'P2P listen host.' },
  { key: 'port', flag: 'port', valueName: 'n', kind: 'port', defaultText: '5251 (main), 15251 (test), 25251 (regtest)', env: 'MVSD_PORT', file: 'network.port', fileAliases: ['network.inbound_port'], description: 'P2P listen port.' },
  { key: 'listen', flag: 'listen', kind: 'bool', negatable: true, defaultText: 'true', env: 'MVSD_LISTEN', file: 'network.listen', description: 'Accept inbound P2P connections (--no-listen: outbound only).' },
  { key: 'connect', flag: 'connect', valueName: 'host:port', kind: 'hostport-list', defaultText: 'none', env: 'MVSD_CONNECT', file: 'network.connect', description: 'Connect only to this peer (repeatable).' },
  { key: 'addnode', flag: 'addnode', valueName: 'host:port', kind: 'hostport-list', defaultText: 'none', env: 'MVSD_ADDNODE', file: 'network.addnode', fileAliases: ['network.peer'], description: 'Keep a connection to this peer in addition to the others (repeatable).' },
  { key: 'maxpeers', flag: 'maxpeers', valueName: 'n', kind: 'uint', defaultText: '64', env: 'MVSD_MAXPEERS', file: 'network.maxpeers', description: 'Most simultaneous P2P connections.' },
  { key: 'logLevel', flag: 'log-level', valueName: 'spec', kind: 'loglevel', defaultText: 'info', env: 'MVSD_LOG_LEVEL', file: 'log.level', fileAliases: ['server.log_level'], description: 'Log level, optionally per module: "info,chain=debug,p2p=warn".' },
  { key: 'logFormat', flag: 'log-format', valueName: 'human|json', kind: 'logformat', defaultText: 'human', env: 'MVSD_LOG_FORMAT', file: 'log.format', description: 'Log line format.' },
  { key: 'wallet', flag: 'wallet', kind: 'bool', negatable: true, defaultText: 'true', env: 'MVSD_WALLET', file: 'wallet', description: 'Keep accounts and keys in the node (--no-wallet: run without the wallet).' },
  { key: 'rpcMaxBody', flag: 'rpc-max-body', valueName: 'bytes', kind: 'size', defaultText: '1MiB', env: 'MVSD_RPC_MAX_BODY', file: 'server.rpc_max_body', description: 'Largest JSON-RPC request body (a number of bytes, or with k/KiB, m/MiB, g/GiB).' },
  { key: 'rpcMaxConnections', flag: 'rpc-max-connections', valueName: 'n', kind: 'uint', defaultText: '64', env: 'MVSD_RPC_MAX_CONNECTIONS', file: 'server.rpc_max_connections', description: 'Most simultaneous JSON-RPC connections.' },
  { key: 'wsQueueLimit', flag: 'ws-queue-limit', valueName: 'bytes', kind: 'size', defaultText: '8MiB', env: 'MVSD_WS_QUEUE_LIMIT', file: 'server.ws_queue_limit', description: 'Per-client websocket send queue in bytes; a client that falls this far behind is dropped.' },
  { key: 'wsQueueMessages', flag: 'ws-queue-messages', valueName: 'n', kind: 'uint', defaultText: '1024', env: 'MVSD_WS_QUEUE_MESSAGES', file: 'server.ws_queue_messages', description: 'Per-client websocket send queue in frames.' },
  { key: 'wsMaxConnections', flag: 'ws-max-connections', valueName: 'n', kind: 'uint', defaultText: '256', env: 'MVSD_WS_MAX_CONNECTIONS', file: 'server.ws_max_connections', description: 'Most simultaneous websocket clients.' },
  { key: 'ethashThreads', flag: 'ethash-threads', valueName: 'n', kind: 'uint', defaultText: '0 (one per core)', env: 'MVSD_ETHASH_THREADS', file: 'node.ethash_threads', description: 'Worker threads for Ethash verification and the CPU miner.' },
  { key: 'scriptThreads', flag: 'script-threads', valueName: 'n', kind: 'uint', defaultText: '0 (one per core)', env: 'MVSD_SCRIPT_THREADS', file: 'node.script_threads', description: 'Worker threads for script (signature) verification.' },
];

export class ConfigError extends Error {
  readonly exitCode: number;
  constructor(message: string, exitCode = 1) {
    super(message);
    this.name = 'ConfigError';
    this.exitCode = exitCode;
  }
}

/** `--help` was given: `message` is the help text; exit 0 after printing it. */
export class ConfigHelpRequested extends ConfigError {
  constructor(text: string) {
    super(text, 0);
    this.name = 'ConfigHelpRequested';
  }
}

// ---------------------------------------------------------------------------
// Value parsing

type Raw = string | string[] | boolean;

const BOOL_TRUE = new Set(['1', 'true', 'yes', 'on']);
const BOOL_FALSE = new Set(['0', 'false', 'no', 'off']);
const SIZE_UNITS: Record<string, number> = { '': 1, b: 1, k: 1024, kb: 1024, kib: 1024, m: 1024 ** 2, mb: 1024 ** 2, mib: 1024 ** 2, g: 1024 ** 3, gb: 1024 ** 3, gib: 1024 ** 3 };

function parseUint(text: string, max: number): number | null {
  if (!/^\d+$/.test(text)) return null;
  const n = Number(text);
  return Number.isSafeInteger(n) && n <= max ? n : null;
}

function parseHost(text: string): string | null {
  const h = text.startsWith('[') && text.endsWith(']') ? text.slice(1, -1) : text;
  if (h.length === 0 || h.length > 253 || /[\s/]/.test(h)) return null;
  return h;
}

export function parseHostPort(text: string): HostPort | null {
  const m = /^(\[[^\]]+\]|[^:\s]+):(\d+)$/.exec(text.trim());
  if (!m) return null;
  const host = parseHost(m[1]);
  const port = parseUint(m[2], 65535);
  return host !== null && port !== null ? { host, port } : null;
}

export function parseSize(text: string): number | null {
  const m = /^(\d+)\s*([a-z]*)$/i.exec(text.trim());
  if (!m) return null;
  const unit = SIZE_UNITS[m[2].toLowerCase()];
  if (unit === undefined) return null;
  const n = Number(m[1]) * unit;
  return Number.isSafeInteger(n) && n > 0 ? n : null;
}

function expandHome(p: string, home: string): string {
  return p === '~' ? home : p.startsWith('~/') ? join(home, p.slice(2)) : p;
}

interface ParseEnv {
  home: string;
  cwd: string;
}

/** Convert one raw value; throws ConfigError naming the option and where the value came from. */
function convert(opt: ConfigOption, raw: Raw, where: string, env: ParseEnv): unknown {
  const shown = Array.isArray(raw) ? raw.join(',') : String(raw);
  const fail = (expected: string): never => {
    throw new ConfigError(`invalid value '${shown}' for --${opt.flag} (from ${where}): expected ${expected}`);
  };
  switch (opt.kind) {
    case 'bool': {
      if (typeof raw === 'boolean') return raw;
      const s = String(raw).trim().toLowerCase();
      if (BOOL_TRUE.has(s)) return true;
      if (BOOL_FALSE.has(s)) return false;
      return fail('true or false');
    }
    case 'network': {
      const s = String(raw).trim().toLowerCase();
      const name = s === 'mainnet' ? 'main' : s === 'testnet' ? 'test' : s;
      if (!(name in networks)) return fail('main, test or regtest');
      return name as NetworkName;
    }
    case 'path': {
      const s = String(raw).trim();
      if (s === '') return fail('a path');
      const p = expandHome(s, env.home);
      return isAbsolute(p) ? p : resolve(env.cwd, p);
    }
    case 'hostport':
      return parseHostPort(String(raw)) ?? fail('host:port with a port 0..65535');
    case 'host':
      return parseHost(String(raw).trim()) ?? fail('a host name or IP address');
    case 'port':
      return parseUint(String(raw).trim(), 65535) ?? fail('a port number 0..65535');
    case 'uint':
      return parseUint(String(raw).trim(), 0xffffffff) ?? fail('a non-negative integer');
    case 'size':
      return parseSize(String(raw)) ?? fail('a size in bytes such as 1048576, 512k or 1MiB');
    case 'hostport-list': {
      const items = (Array.isArray(raw) ? raw : String(raw).split(',')).map((s) => s.trim()).filter((s) => s.length > 0);
      for (const item of items) if (!parseHostPort(item)) fail('host:port entries');
      return items;
    }
    case 'loglevel': {
      const s = String(raw).trim().toLowerCase();
      try {
        parseLevelSpec(s);
      } catch (err) {
        return fail(`a level spec such as "info,chain=debug" (${(err as Error).message})`);
      }
      return s;
    }
    case 'logformat': {
      const s = String(raw).trim().toLowerCase();
      if (s !== 'human' && s !== 'json') return fail('human or json');
      return s;
    }
  }
}

// ---------------------------------------------------------------------------
// Sources

/** The commander program for these options (also used for `mvsd --help`). */
export function buildCommand(name = 'mvsd'): Command {
  const program = new Command(name).description('Metaverse (MVS) full node').allowExcessArguments(false);
  for (const opt of CONFIG_OPTIONS) {
    if (opt.kind === 'bool') {
      program.addOption(new Option(`--${opt.flag}`, opt.description));
      if (opt.negatable) program.addOption(new Option(`--no-${opt.flag}`, `Disable: ${opt.description.replace(/\s*\(--no-[^)]*\)/, '')}`));
      continue;
    }
    const o = new Option(`--${opt.flag} <${opt.valueName ?? 'value'}>`, `${opt.description} (default: ${opt.defaultText})`);
    if (opt.kind === 'hostport-list') o.argParser((v: string, prev: string[] | undefined) => [...(prev ?? []), v]);
    program.addOption(o);
  }
  return program;
}

function commanderKey(opt: ConfigOption): string {
  return opt.flag.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
}

function readCli(argv: readonly string[]): Map<ConfigKey, Raw> {
  const program = buildCommand();
  const out: string[] = [];
  const err: string[] = [];
  program.exitOverride().configureOutput({ writeOut: (s) => out.push(s), writeErr: (s) => err.push(s) });
  try {
    program.parse([...argv], { from: 'user' });
  } catch (e) {
    if (e instanceof CommanderError) {
      if (e.code === 'commander.helpDisplayed' || e.code === 'commander.help') throw new ConfigHelpRequested(out.join(''));
      throw new ConfigError(e.message.replace(/^error: /, ''));
    }
    throw e;
  }
  const opts = program.opts();
  const values = new Map<ConfigKey, Raw>();
  for (const opt of CONFIG_OPTIONS) {
    const k = commanderKey(opt);
    if (program.getOptionValueSource(k) === 'cli') values.set(opt.key, opts[k] as Raw);
  }
  return values;
}

function readEnv(env: NodeJS.ProcessEnv): Map<ConfigKey, { raw: Raw; name: string }> {
  const values = new Map<ConfigKey, { raw: Raw; name: string }>();
  for (const opt of CONFIG_OPTIONS) {
    if (!opt.env) continue;
    const v = env[opt.env];
    if (v !== undefined && v !== '') values.set(opt.key, { raw: v, name: opt.env });
  }
  return values;
}

interface FileEntry {
  raw: Raw;
  where: string;
}

/**
 * Parse an INI file as boost's config-file parser reads mvs.conf: `[section]`
 * headers, `key = value` lines, `#` starting a comment anywhere; a key inside a
 * section is `section.key`. Repeated list keys accumulate.
 */
export function readConfigFile(path: string): { values: Map<ConfigKey, FileEntry>; warnings: string[] } {
  let text: string;
  try {
    if (!statSync(path).isFile()) throw new Error('not a file');
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new ConfigError(`cannot read config file ${path}: ${(err as Error).message}`);
  }
  const byKey = new Map<string, ConfigOption>();
  for (const opt of CONFIG_OPTIONS) {
    if (opt.file) byKey.set(opt.file, opt);
    for (const a of opt.fileAliases ?? []) byKey.set(a, opt);
  }
  const values = new Map<ConfigKey, FileEntry>();
  const firstKey = new Map<ConfigKey, string>();
  const warnings: string[] = [];
  let section = '';
  text.split(/\r?\n/).forEach((rawLine, i) => {
    const lineNo = i + 1;
    const hash = rawLine.indexOf('#');
    const line = (hash >= 0 ? rawLine.slice(0, hash) : rawLine).trim();
    if (line === '' || line.startsWith(';')) return;
    const header = /^\[([^\]]*)\]$/.exec(line);
    if (header) {
      section = header[1].trim();
      return;
    }
    const eq = line.indexOf('=');
    if (eq <= 0) throw new ConfigError(`config file ${path} line ${lineNo}: expected "key = value"`);
    const key = line.slice(0, eq).trim();
    const value = line.slice(eq + 1).trim();
    const fullKey = section ? `${section}.${key}` : key;
    const opt = byKey.get(fullKey);
    if (!opt) {
      warnings.push(`config file ${path} line ${lineNo}: '${fullKey}' is not used by this node`);
      return;
    }
    const where = `config file ${path} line ${lineNo} (${fullKey})`;
    if (opt.kind === 'hostport-list') {
      const prev = values.get(opt.key);
      values.set(opt.key, { raw: [...((prev?.raw as string[]) ?? []), value], where });
      return;
    }
    if (values.has(opt.key)) {
      throw new ConfigError(`config file ${path} line ${lineNo}: '${fullKey}' repeats --${opt.flag}, already set by '${firstKey.get(opt.key)}'`);
    }
    firstKey.set(opt.key, fullKey);
    values.set(opt.key, { raw: value, where });
  });
  return { values, warnings };
}

// ---------------------------------------------------------------------------

export interface LoadOptions {
  /** Home folder for `~` and the default datadir (default os.homedir()). */
  home?: string;
  /** Folder relative paths are resolved against (default process.cwd()). */
  cwd?: string;
}

/**
 * Resolve the configuration from the command-line arguments after the program
 * name, the environment and the config file, CLI > env > file > default.
 * Throws ConfigError (invalid values, unknown flags, unreadable file) or
 * ConfigHelpRequested (`--help`).
 */
export function loadConfig(argv: readonly string[], env: NodeJS.ProcessEnv = process.env, options: LoadOptions = {}): NodeConfig {
  const pe: ParseEnv = { home: options.home ?? homedir(), cwd: options.cwd ?? process.cwd() };
  const cli = readCli(argv);
  const fromEnv = readEnv(env);
  const opt = (key: ConfigKey) => CONFIG_OPTIONS.find((o) => o.key === key)!;

  // The file path itself comes from the CLI or the environment only.
  let configPath: string | null = null;
  if (cli.has('config')) configPath = convert(opt('config'), cli.get('config')!, 'command line', pe) as string;
  else if (fromEnv.has('config')) configPath = convert(opt('config'), fromEnv.get('config')!.raw, `environment ${fromEnv.get('config')!.name}`, pe) as string;
  if (configPath !== null && !existsSync(configPath)) throw new ConfigError(`config file ${configPath} does not exist (from --config)`);
  const file = configPath ? readConfigFile(configPath) : { values: new Map<ConfigKey, FileEntry>(), warnings: [] };

  const values: Partial<Record<ConfigKey, unknown>> = {};
  const sources = {} as Record<ConfigKey, ConfigSource>;
  const pick = (o: ConfigOption): boolean => {
    if (cli.has(o.key)) {
      values[o.key] = convert(o, cli.get(o.key)!, 'command line', pe);
      sources[o.key] = 'cli';
    } else if (fromEnv.has(o.key)) {
      const e = fromEnv.get(o.key)!;
      values[o.key] = convert(o, e.raw, `environment ${e.name}`, pe);
      sources[o.key] = 'env';
    } else if (file.values.has(o.key)) {
      const f = file.values.get(o.key)!;
      values[o.key] = convert(o, f.raw, f.where, pe);
      sources[o.key] = 'file';
    } else {
      sources[o.key] = 'default';
      return false;
    }
    return true;
  };
  for (const o of CONFIG_OPTIONS) {
    if (o.key === 'config') {
      sources.config = cli.has('config') ? 'cli' : fromEnv.has('config') ? 'env' : 'default';
      values.config = configPath;
      continue;
    }
    pick(o);
  }

  // Defaults, some of which depend on the network.
  const network = (values.network as NetworkName | undefined) ?? 'main';
  const root = (values.datadir as string | undefined) ?? join(pe.home, '.mvs-node');
  const defaults: ConfigValues = {
    network,
    datadir: root,
    config: null,
    rpcBind: { host: '127.0.0.1', port: 8820 },
    wsBind: { host: '127.0.0.1', port: 8821 },
    ws: true,
    bind: '0.0.0.0',
    port: networks[network].port,
    listen: true,
    connect: [],
    addnode: [],
    maxpeers: 64,
    logLevel: 'info',
    logFormat: 'human',
    wallet: true,
    rpcMaxBody: 1024 * 1024,
    rpcMaxConnections: 64,
    wsQueueLimit: 8 * 1024 * 1024,
    wsQueueMessages: 1024,
    wsMaxConnections: 256,
    ethashThreads: 0,
    scriptThreads: 0,
  };
  const merged = { ...defaults } as ConfigValues & Record<string, unknown>;
  for (const [k, v] of Object.entries(values)) if (v !== undefined) merged[k] = v;
  return {
    ...merged,
    datadirRoot: root,
    datadir: join(root, network),
    sources,
    warnings: file.warnings,
  };
}
